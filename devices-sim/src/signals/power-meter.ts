// A household power meter: mains voltage near nominal, a current that follows a daily load curve
// plus appliances switching on and off, power = V * I * power factor, and an energy register
// (kWh) that only ever counts up.
import { between, clamp, createRandom, gaussian, round } from './random.ts';
import type { Signal } from './types.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Load relative to the daily peak at each hour (low at night, peaks morning and evening). */
function dailyLoad(hourOfDay: number): number {
  const morning = Math.exp(-(((hourOfDay - 7.5) / 1.5) ** 2));
  const evening = Math.exp(-(((hourOfDay - 19) / 2.5) ** 2));
  return 0.15 + 0.45 * morning + 0.85 * evening;
}

export function createPowerMeter(seed: number): Signal {
  const random = createRandom(seed);
  const nominalV = random() < 0.5 ? 230 : 240;
  const peakA = between(random, 6, 18);
  const powerFactor = between(random, 0.88, 0.98);
  let energyKwh = round(between(random, 100, 5000), 3);
  let voltageOffsetV = 0;
  let applianceA = 0;
  let lastMs: number | undefined;

  return {
    profile: 'power-meter',
    sample(atMs) {
      const hourOfDay = ((atMs % DAY_MS) / DAY_MS) * 24;
      voltageOffsetV = clamp(voltageOffsetV * 0.9 + gaussian(random) * 0.6, -8, 8);
      // An appliance (kettle, oven, washer) switches on now and then and off again.
      if (applianceA === 0 && random() < 0.03) applianceA = between(random, 2, 9);
      else if (applianceA > 0 && random() < 0.1) applianceA = 0;
      const voltageV = nominalV + voltageOffsetV;
      const currentA = Math.max(0.05, peakA * dailyLoad(hourOfDay) + applianceA + gaussian(random) * 0.2);
      const powerW = voltageV * currentA * powerFactor;
      // Energy integrates power over the time since the last sample; a clock going backwards adds nothing.
      const elapsedMs = lastMs === undefined ? 0 : Math.max(0, atMs - lastMs);
      lastMs = lastMs === undefined ? atMs : Math.max(lastMs, atMs);
      energyKwh += (powerW / 1000) * (elapsedMs / HOUR_MS);
      return {
        voltage: round(voltageV, 1),
        current: round(currentA, 2),
        power: round(powerW, 1),
        energy: Math.floor(energyKwh * 1000) / 1000,
      };
    },
  };
}
