// A fleet (or one worker's slice of it): creates the devices, connects the first one alone so a
// wrong URL or refused credentials end the run at once, then connects the rest at a steady rate so
// thousands of devices do not arrive in the same second.
import { deviceIdOf, type DeviceGroup, type SimConfig } from './config.ts';
import { createPasswordSource } from './credentials.ts';
import { createDevice, type Device } from './device.ts';
import { SimError } from './errors.ts';
import { createSignal } from './signals/index.ts';
import { deviceSeed } from './signals/random.ts';
import { emptyStats, type FleetStats } from './stats.ts';

/** What runs devices: a fleet in this process, or workers each running a slice. */
export interface FleetRunner {
  /** resolves once the first device connected (then the rest ramp up); rejects with a SimError */
  start(): Promise<void>;
  stats(): FleetStats;
  /** resolves when every device said offline and disconnected */
  stop(): Promise<void>;
  /** settles only if the runner breaks while running (a worker process died) */
  readonly failed: Promise<SimError>;
}

export interface FleetSlice {
  /** fleet-wide index of the first device, and the number of devices in this slice */
  from: number;
  count: number;
  /** this slice's share of the start-up connect rate */
  connectRatePerSec: number;
}

const RAMP_TICK_MS = 20;

export function groupOf(groups: readonly DeviceGroup[], index: number): DeviceGroup {
  let rest = index;
  for (const group of groups) {
    if (rest < group.count) return group;
    rest -= group.count;
  }
  throw new RangeError(`device index ${index} is past the fleet`);
}

export function createFleet(config: SimConfig, slice: FleetSlice = { from: 0, count: config.totalDevices, connectRatePerSec: config.connectRatePerSec }): FleetRunner {
  const stats = emptyStats(slice.count);
  const password = createPasswordSource(config.credentials);
  const devices: Device[] = [];
  let rampTimer: NodeJS.Timeout | undefined;
  let isStopping = false;

  for (let i = slice.from; i < slice.from + slice.count; i++) {
    const id = deviceIdOf(config.prefix, i);
    const group = groupOf(config.groups, i);
    devices.push(
      createDevice({
        id,
        url: config.url,
        signal: createSignal(group.profile, config.seed, id),
        intervalMs: group.intervalMs,
        qos: group.qos,
        password,
        backoff: config.backoff,
        seed: deviceSeed(config.seed ^ 0x9e3779b9, id),
        connectTimeoutMs: config.connectTimeoutMs,
        insecure: config.insecure,
        stats,
      }),
    );
  }

  async function start(): Promise<void> {
    const [first, ...rest] = devices;
    if (!first) return;
    const failure = await first.start({ failFast: true });
    if (failure) {
      await first.stop();
      if (failure.reason === 'refused') throw new SimError('REFUSED', `${config.url} refused the credentials of ${first.id}: ${failure.detail}`);
      throw new SimError('UNREACHABLE', `cannot connect to ${config.url}: ${failure.detail}`);
    }
    rampUp(rest);
  }

  /** Starts devices at connectRatePerSec: a few per tick rather than one timer per device. */
  function rampUp(pending: Device[]): void {
    const startedAtMs = Date.now();
    let next = 0;
    const tick = () => {
      if (isStopping) return;
      const due = Math.min(pending.length, Math.floor(((Date.now() - startedAtMs) / 1000) * slice.connectRatePerSec) + 1);
      for (; next < due; next++) void pending[next]!.start({ failFast: false });
      if (next < pending.length) rampTimer = setTimeout(tick, RAMP_TICK_MS);
    };
    tick();
  }

  async function stop(): Promise<void> {
    isStopping = true;
    clearTimeout(rampTimer);
    await Promise.all(devices.map((d) => d.stop()));
  }

  return { start, stats: () => ({ ...stats }), stop, failed: new Promise<SimError>(() => {}) };
}
