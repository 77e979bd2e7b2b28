// Seeded randomness for the signals and the backoff: the same seed gives the same values.
// Math.random cannot be seeded, so a tiny well-known generator (mulberry32) is written out here.

export type Random = () => number;

/** A generator of floats in [0, 1) from a 32-bit seed (mulberry32). */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed for one device from the fleet seed and the device id (FNV-1a over both). */
export function deviceSeed(fleetSeed: number, deviceId: string): number {
  let hash = 0x811c9dc5 ^ (fleetSeed >>> 0);
  for (let i = 0; i < deviceId.length; i++) {
    hash ^= deviceId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Uniform in [min, max). */
export function between(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}

/** Roughly normal with mean 0 and standard deviation 1 (sum of uniforms; cheap and bounded). */
export function gaussian(random: Random): number {
  return random() + random() + random() + random() + random() + random() - 3;
}

export const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export const round = (value: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
