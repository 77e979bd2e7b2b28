// The embedded store, used when no InfluxDB is configured. The database itself (sqlite-db.ts) runs in
// a worker thread: a 5,000-point batch or a long history query keeps SQLite busy there while the
// broker's event loop goes on routing. Here on the main thread a write costs only the flat encoding
// of its points (point-batch.ts); batches reach the worker, and land, in the order they were written.
import type { Logger } from '../../logger.ts';
import type { TelemetrySchema, TelemetryStore, WriteOutcome } from '../types.ts';
import { encodeBatch, transferables } from './point-batch.ts';
import { createWorkerClient } from './worker-client.ts';

export interface SqliteStoreOptions {
  /** the database file; ':memory:' for unit tests */
  file: string;
  retentionDays: number;
  schema: TelemetrySchema;
  log: Logger;
  /** how often old points are deleted */
  retentionIntervalMs?: number;
  now?: () => number;
  /** the worker module; default sqlite-worker next to this file */
  workerUrl?: URL;
  /** a worker that died is started again on the next call once this long has passed; default 1000 */
  restartDelayMs?: number;
}

// Run from source (tsx), this file is .ts and so is the worker; the build emits both as .js.
const defaultWorkerUrl = new URL(`./sqlite-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export function createSqliteStore(options: SqliteStoreOptions): TelemetryStore {
  const { log } = options;
  const now = options.now ?? Date.now;
  const worker = createWorkerClient({
    url: options.workerUrl ?? defaultWorkerUrl,
    data: { file: options.file, schema: options.schema },
    log,
    ...(options.restartDelayMs === undefined ? {} : { restartDelayMs: options.restartDelayMs }),
  });

  async function applyRetention(): Promise<void> {
    try {
      const deleted = await worker.request({ op: 'retain', cutoffMs: now() - options.retentionDays * 86_400_000 });
      if (deleted > 0) log.info({ deleted, retentionDays: options.retentionDays }, 'old points deleted');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'retention not applied');
    }
  }
  void applyRetention();
  const retentionTimer = setInterval(() => void applyRetention(), options.retentionIntervalMs ?? 3_600_000);
  retentionTimer.unref();

  return {
    kind: 'sqlite',
    async write(points): Promise<WriteOutcome> {
      const batch = encodeBatch(points);
      try {
        const rejected = await worker.request({ op: 'write', batch }, transferables(batch));
        return rejected === 0 ? { ok: true } : { ok: false, retryable: false, reason: 'field type conflict', rejectedPoints: rejected };
      } catch (err) {
        // A full disk, a locked file or a worker that died may pass; the bridge spools and retries.
        return { ok: false, retryable: true, reason: (err as Error).message };
      }
    },
    queryHistory: (request) => worker.request({ op: 'history', request }),
    devices: () => worker.request({ op: 'devices' }),
    async fieldKinds() {
      return new Map(await worker.request({ op: 'fieldKinds' }));
    },
    async ping() {
      return worker.request({ op: 'ping' }).catch(() => false);
    },
    async close() {
      clearInterval(retentionTimer);
      await worker.close();
    },
  };
}
