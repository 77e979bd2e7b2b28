// --processes N: the fleet split into N contiguous slices, each run by a forked simulator process
// (one event loop drives only so many clients). The parent adds up their counters for reporting.
import { fork, type ChildProcess } from 'node:child_process';
import type { SimConfig } from './config.ts';
import { SimError, type SimErrorCode } from './errors.ts';
import { createFleet, type FleetRunner, type FleetSlice } from './fleet.ts';
import { addStats, emptyStats, type FleetStats } from './stats.ts';

export const WORKER_ENV = 'TELEMQ_SIM_WORKER';

type ToWorker = { type: 'start'; config: SimConfig; slice: FleetSlice } | { type: 'stop' };
type FromWorker =
  | { type: 'started' }
  | { type: 'failed'; code: SimErrorCode; message: string }
  | { type: 'stats'; stats: FleetStats }
  | { type: 'stopped'; stats: FleetStats };

const STATS_PERIOD_MS = 250;

const ignoreSendError = () => {};

/** Contiguous slices of nearly equal size, and each its share of the connect rate. */
export function splitFleet(totalDevices: number, processes: number, connectRatePerSec: number): FleetSlice[] {
  const slices: FleetSlice[] = [];
  let from = 0;
  for (let i = 0; i < processes; i++) {
    const count = Math.floor(totalDevices / processes) + (i < totalDevices % processes ? 1 : 0);
    slices.push({ from, count, connectRatePerSec: Math.max(1, connectRatePerSec / processes) });
    from += count;
  }
  return slices;
}

export function createWorkerPool(config: SimConfig, deps: { entry: string; env: NodeJS.ProcessEnv }): FleetRunner {
  const slices = splitFleet(config.totalDevices, config.processes, config.connectRatePerSec);
  const latest = slices.map((s) => emptyStats(s.count));
  const workers: ChildProcess[] = [];
  let isStopping = false;
  let reportFailure: (err: SimError) => void = () => {};
  const failed = new Promise<SimError>((resolve) => (reportFailure = resolve));

  function spawnWorker(index: number): Promise<void> {
    const child = fork(deps.entry, [], { env: { ...deps.env, [WORKER_ENV]: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    workers.push(child);
    return new Promise((resolve, reject) => {
      child.on('message', (message: FromWorker) => {
        if (message.type === 'started') resolve();
        else if (message.type === 'failed') reject(new SimError(message.code, message.message));
        else latest[index] = message.stats;
      });
      child.once('exit', (code, signal) => {
        const err = new SimError('WORKER_FAILED', `worker ${index + 1} (devices ${slices[index]!.from + 1}-${slices[index]!.from + slices[index]!.count}) exited unexpectedly (${signal ?? `code ${code}`})`);
        reject(err);
        if (!isStopping) reportFailure(err);
      });
      // A worker may exit while a message is on its way; its exit is reported above, so a failed
      // send needs no handling of its own (without the callback it would be an unhandled 'error').
      child.send({ type: 'start', config, slice: slices[index]! } satisfies ToWorker, ignoreSendError);
    });
  }

  async function stop(): Promise<void> {
    isStopping = true;
    await Promise.all(
      workers.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            if (child.connected) child.send({ type: 'stop' } satisfies ToWorker, ignoreSendError);
            else child.kill('SIGTERM');
          }),
      ),
    );
  }

  return {
    async start() {
      await Promise.all(slices.map((_, i) => spawnWorker(i)));
    },
    stats: () => latest.reduce((sum, s) => addStats(sum, s), emptyStats()),
    stop,
    failed,
  };
}

/** The worker side: runs the slice it is sent, reports counters, stops when told or orphaned. */
export async function runWorker(proc: NodeJS.Process): Promise<void> {
  const send = (message: FromWorker) => {
    if (proc.connected) proc.send!(message);
  };
  const start = await new Promise<Extract<ToWorker, { type: 'start' }>>((resolve) => {
    proc.once('message', (message: ToWorker) => {
      if (message.type === 'start') resolve(message);
    });
  });
  const fleet = createFleet(start.config, start.slice);
  const stopped = new Promise<void>((resolve) => {
    proc.on('message', (message: ToWorker) => message.type === 'stop' && resolve());
    proc.once('disconnect', () => resolve());
  });
  const timer = setInterval(() => send({ type: 'stats', stats: fleet.stats() }), STATS_PERIOD_MS);
  try {
    await fleet.start();
    send({ type: 'started' });
  } catch (err) {
    clearInterval(timer);
    await fleet.stop();
    if (err instanceof SimError) send({ type: 'failed', code: err.code, message: err.message });
    else send({ type: 'failed', code: 'WORKER_FAILED', message: err instanceof Error ? err.message : String(err) });
    proc.disconnect?.();
    return;
  }
  await stopped;
  clearInterval(timer);
  await fleet.stop();
  send({ type: 'stopped', stats: fleet.stats() });
  proc.disconnect?.();
}
