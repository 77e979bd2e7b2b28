// Stopping a child process a test started: a signal (SIGTERM unless told), then SIGKILL when it
// has not exited within a bound, so a hung child costs the test a bounded wait, never the run.
import type { ChildProcess } from 'node:child_process';

export interface StopOptions {
  /** the first signal; SIGTERM unless told (the simulator and the broker stop cleanly on it) */
  signal?: NodeJS.Signals;
  /** SIGKILL after this long without an exit; 10 s unless told */
  killAfterMs?: number;
}

/** The exit code, or the name of the signal that ended the process. */
export function exitOf(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
}

/** Sends `signal`, then SIGKILL after `killAfterMs`; resolves with how it ended (at once when it already had). */
export async function stopProcess(child: ChildProcess, { signal = 'SIGTERM', killAfterMs = 10_000 }: StopOptions = {}): Promise<number | string> {
  const exited = exitOf(child);
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  child.kill(signal);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
