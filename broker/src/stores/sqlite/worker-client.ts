// The main thread's side of the database worker: one request, one promise, answered in order. Every
// promise settles: with the worker's answer, with its error, or, when the worker dies or the store
// closes, with a rejection. A dead worker is logged and started again on the next call, at most once
// per restartDelayMs, so a file that cannot be opened does not spin.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.ts';
import type { Operation, Request, Response, Results, WorkerStartData } from './protocol.ts';

export interface WorkerClientOptions {
  url: URL;
  data: WorkerStartData;
  log: Logger;
  /** a worker that died is started again on the next call once this long has passed; default 1000 */
  restartDelayMs?: number;
  /** close() ends a worker that has not finished its queue within this; default 10000 */
  closeTimeoutMs?: number;
}

export interface WorkerClient {
  request<K extends Operation['op']>(operation: Extract<Operation, { op: K }>, transfer?: ArrayBuffer[]): Promise<Results[K]>;
  /** answers what was sent before, then ends the worker */
  close(): Promise<void>;
}

/**
 * Run from source, the worker is a .ts file, and Node 20 does not carry tsx's loader hooks (from
 * `--import tsx`) into worker threads (tsx issue #354): such a worker starts from a short script
 * that registers tsx first. The build's .js worker starts directly.
 */
function spawnWorker(url: URL, workerData: WorkerStartData): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

interface Waiting {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export function createWorkerClient(options: WorkerClientOptions): WorkerClient {
  const { log } = options;
  const restartDelayMs = options.restartDelayMs ?? 1000;
  const waiting = new Map<number, Waiting>();
  let worker: Worker | null = null;
  let diedAtMs = -Infinity;
  let nextId = 1;
  let closing: Promise<void> | null = null;

  function start(): Worker | null {
    if (worker) return worker;
    if (Date.now() - diedAtMs < restartDelayMs) return null;
    const started = spawnWorker(options.url, options.data);
    started.unref(); // held only while a request waits, so an idle store never keeps the process alive
    started.on('message', (response: Response) => settle(started, response));
    started.on('error', (err) => log.error({ err: err.message }, 'store worker failed'));
    // An answer that cannot be read would leave its promise waiting: end the worker, which fails them all.
    started.on('messageerror', (err) => {
      log.error({ err: err.message }, 'store worker answer unreadable');
      void started.terminate();
    });
    started.on('exit', (code) => stopped(started, code));
    worker = started;
    return started;
  }

  function settle(from: Worker, response: Response): void {
    const entry = waiting.get(response.id);
    if (!entry) return;
    waiting.delete(response.id);
    if (waiting.size === 0) from.unref();
    if (response.ok) entry.resolve(response.value);
    else entry.reject(new Error(response.error));
  }

  function stopped(which: Worker, code: number): void {
    if (worker === which) worker = null;
    if (!closing) {
      diedAtMs = Date.now();
      log.error({ code, waiting: waiting.size }, 'store worker stopped; it is started again on the next call');
    }
    const reason = closing ? 'store closed' : `store worker stopped (exit code ${code})`;
    for (const entry of waiting.values()) entry.reject(new Error(reason));
    waiting.clear();
  }

  function request<K extends Operation['op']>(operation: Extract<Operation, { op: K }>, transfer: ArrayBuffer[] = []): Promise<Results[K]> {
    if (closing) return Promise.reject(new Error('store closed'));
    const target = start();
    if (!target) return Promise.reject(new Error('store worker restarting'));
    const id = nextId++;
    return new Promise<Results[K]>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (waiting.size === 1) target.ref();
      const message: Request = { ...operation, id };
      target.postMessage(message, transfer);
    });
  }

  async function closeWorker(): Promise<void> {
    const last = worker;
    if (!last) return;
    const ended = new Promise<void>((resolve) => last.once('exit', () => resolve()));
    last.ref();
    last.postMessage({ id: nextId++, op: 'close' } satisfies Request);
    const timer = setTimeout(() => {
      log.warn({ closeTimeoutMs: options.closeTimeoutMs ?? 10_000 }, 'store worker did not finish in time; ending it');
      void last.terminate();
    }, options.closeTimeoutMs ?? 10_000);
    await ended;
    clearTimeout(timer);
  }

  start();
  return {
    request,
    close() {
      closing ??= closeWorker();
      return closing;
    },
  };
}
