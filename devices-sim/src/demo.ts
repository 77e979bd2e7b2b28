// A small mixed fleet for the broker's demo (POST /api/demo-fleet): thermostats, power meters and
// GPS trackers, each a real MQTT client of this library, connected to the broker's own TCP port.
// The broker loads this module at run time, so the simulator stays an optional part of it.
import type { DemoFleetOptions, DemoFleetRunner } from '@telemq/broker/contract';
import type { SimConfig } from './config.ts';
import { createFleet } from './fleet.ts';
import { profiles } from './signals/index.ts';

export function demoConfig(options: DemoFleetOptions): SimConfig {
  // Devices dealt round-robin over the profiles, in groups (the fleet numbers them in group order).
  const groups = profiles
    .map((profile, i) => ({ profile, count: Math.floor(options.devices / profiles.length) + (i < options.devices % profiles.length ? 1 : 0), intervalMs: options.intervalMs, qos: 1 as const }))
    .filter((g) => g.count > 0);
  return {
    url: options.url,
    groups,
    totalDevices: options.devices,
    durationMs: null,
    seed: 1,
    prefix: options.prefix,
    credentials: options.secret === null ? { kind: 'none' } : { kind: 'secret', secret: options.secret, tokenTtlSec: 7 * 86_400 },
    processes: 1,
    json: false,
    backoff: { baseMs: 1000, capMs: 10_000 },
    connectRatePerSec: 50,
    reportIntervalMs: 60_000,
    connectTimeoutMs: 10_000,
    insecure: false,
  };
}

export function createDemoFleet(options: DemoFleetOptions): DemoFleetRunner {
  const fleet = createFleet(demoConfig(options));
  return { start: () => fleet.start(), connected: () => fleet.stats().connected, stop: () => fleet.stop() };
}
