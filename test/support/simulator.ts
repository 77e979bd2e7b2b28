// The device simulator as its users run it (`npm run sim -- …`), from source in a child process.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnOwned } from './owned-process.ts';
import { exitOf, stopProcess, type StopOptions } from './stop-process.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** the simulator's entry, run from source */
export const simulatorEntry = path.join(root, 'devices-sim/src/main.ts');

export interface SimProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** resolves with the exit code; null when a signal ended it */
  exited: Promise<number | null>;
  /** SIGTERM unless told: a clean stop (offline published, summary printed); SIGKILL after the bound */
  stop(options?: StopOptions): Promise<number | null>;
}

/** Starts the simulator CLI with `args`; output is kept (the last `keepChars` of each stream). */
export function startSim(args: string[], { keepChars = 1_000_000 }: { keepChars?: number } = {}): SimProcess {
  const child = spawnOwned(process.execPath, ['--conditions=source', '--import', 'tsx', simulatorEntry, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-keepChars)));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-keepChars)));
  const exited = exitOf(child).then((how) => (typeof how === 'number' ? how : null));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop(options?: StopOptions) {
      await stopProcess(child, { killAfterMs: 20_000, ...options });
      return exited;
    },
  };
}

/** Runs the CLI to its end; kills it after `timeoutMs`. */
export async function runSim(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const sim = startSim(args);
  const timer = setTimeout(() => sim.child.kill('SIGKILL'), timeoutMs);
  const code = await sim.exited;
  clearTimeout(timer);
  return { code, stdout: sim.stdout(), stderr: sim.stderr() };
}
