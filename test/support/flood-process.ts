// The flood generator (bench/load-worker.ts) in its own process, so the load does not starve the
// process that runs the test's own clients. Reports its counters once a second.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { FloodTransport } from './flood.ts';
import { spawnOwned } from './owned-process.ts';
import { stopProcess } from './stop-process.ts';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export interface FloodProcess {
  child: ChildProcess;
  /** latest counters: sent, acked and lost for `pub`, received for `sub`; cpuSec for both */
  last: Record<string, number>;
  ready: Promise<void>;
  /** publishers begin writing (they connect first and wait for this) */
  go(): void;
  /** publishers stop writing and keep their connections (after go) */
  halt(): void;
  stop(): Promise<void>;
}

export function spawnFloodProcess(mode: 'pub' | 'sub', transport: FloodTransport, port: number, connections: number, topic: string, payloadBytes: number, qos: 0 | 1 = 0): FloodProcess {
  const child = spawnOwned(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(root, 'bench/load-worker.ts'), mode, transport, String(port), String(connections), topic, String(payloadBytes), String(qos)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const worker: FloodProcess = {
    child,
    last: {},
    ready: Promise.resolve(),
    go: () => void child.stdin!.write('go\n'),
    halt: () => void child.stdin!.write('halt\n'),
    stop: async () => {
      await stopProcess(child, { killAfterMs: 5000 });
    },
  };
  let buffer = '';
  worker.ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`load worker exited ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const message = JSON.parse(line) as Record<string, number | boolean>;
        if (message.ready) resolve();
        else worker.last = message as Record<string, number>;
      }
    });
  });
  worker.ready.catch(() => {});
  return worker;
}
