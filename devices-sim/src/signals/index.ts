import { createGpsTracker } from './gps-tracker.ts';
import { createPowerMeter } from './power-meter.ts';
import { deviceSeed } from './random.ts';
import { createThermostat } from './thermostat.ts';
import type { Profile, Signal } from './types.ts';

export { profiles, type Profile, type Reading, type Signal } from './types.ts';

const factories: Record<Profile, (seed: number) => Signal> = {
  thermostat: createThermostat,
  'power-meter': createPowerMeter,
  'gps-tracker': createGpsTracker,
};

/** The signal of one device: the same fleet seed and device id always give the same values. */
export function createSignal(profile: Profile, fleetSeed: number, deviceId: string): Signal {
  return factories[profile](deviceSeed(fleetSeed, deviceId));
}
