// A room thermostat: temperature follows a daily cycle around its setpoint (warmest mid-afternoon),
// with slow drift; relative humidity moves against the temperature.
import { between, clamp, createRandom, gaussian, round } from './random.ts';
import type { Signal } from './types.ts';

const DAY_MS = 86_400_000;
const WARMEST_HOUR = 15;

export function createThermostat(seed: number): Signal {
  const random = createRandom(seed);
  const setpointC = round(between(random, 19, 23), 1);
  const amplitudeC = between(random, 0.8, 2.2);
  const baseHumidityPct = between(random, 38, 55);
  let driftC = 0;

  return {
    profile: 'thermostat',
    sample(atMs) {
      const hourOfDay = ((atMs % DAY_MS) / DAY_MS) * 24;
      const cycle = Math.cos(((hourOfDay - WARMEST_HOUR) / 24) * 2 * Math.PI);
      // Mean-reverting drift: a random walk pulled back toward 0 so it never wanders off.
      driftC = clamp(driftC * 0.95 + gaussian(random) * 0.05, -1, 1);
      const temperatureC = setpointC + amplitudeC * cycle + driftC;
      const humidityPct = clamp(baseHumidityPct - 2.5 * (temperatureC - setpointC) + gaussian(random) * 0.4, 15, 95);
      return { temperature: round(temperatureC, 2), humidity: round(humidityPct, 1), setpoint: setpointC };
    },
  };
}
