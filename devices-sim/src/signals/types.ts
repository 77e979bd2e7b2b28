export const profiles = ['thermostat', 'power-meter', 'gps-tracker'] as const;
export type Profile = (typeof profiles)[number];

export type Reading = Record<string, number>;

/** One device's signal: deterministic for a seed and a sequence of sample times, no clock or I/O. */
export interface Signal {
  readonly profile: Profile;
  /** the reading at `atMs` (epoch ms); times should not go backwards, and if they do nothing decreases that must not */
  sample(atMs: number): Reading;
}
