// The embedded store: the only module importing better-sqlite3. One file under the data folder in
// WAL mode; a series table (measurement + tags) and a points table keyed by series, field and time,
// so writing the same series and timestamp again overwrites instead of doubling.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { HistoryPoint } from '../../contract/index.ts';
import type { Logger } from '../../logger.ts';
import { fieldKindKey, kindOf, type DeviceRecord, type FieldKind, type FieldValue, type HistoryRequest, type Point, type TelemetrySchema, type TelemetryStore, type WriteOutcome } from '../types.ts';

export interface SqliteStoreOptions {
  /** the database file; ':memory:' for unit tests */
  file: string;
  retentionDays: number;
  schema: TelemetrySchema;
  log: Logger;
  /** how often old points are deleted */
  retentionIntervalMs?: number;
  now?: () => number;
}

const ddl = `
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  measurement TEXT NOT NULL,
  tags TEXT NOT NULL,
  device TEXT,
  last_ts INTEGER NOT NULL DEFAULT 0,
  UNIQUE (measurement, tags)
);
CREATE INDEX IF NOT EXISTS series_device ON series (measurement, device);
CREATE TABLE IF NOT EXISTS points (
  series_id INTEGER NOT NULL,
  field TEXT NOT NULL,
  ts INTEGER NOT NULL,
  value,
  PRIMARY KEY (series_id, field, ts)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS points_ts ON points (ts);
CREATE TABLE IF NOT EXISTS fields (
  measurement TEXT NOT NULL,
  field TEXT NOT NULL,
  kind TEXT NOT NULL,
  PRIMARY KEY (measurement, field)
);
`;

const aggSql = { mean: 'AVG(p.value)', min: 'MIN(p.value)', max: 'MAX(p.value)', last: 'p.value' } as const;

export function createSqliteStore(options: SqliteStoreOptions): TelemetryStore {
  const { schema, log } = options;
  const now = options.now ?? Date.now;
  if (options.file !== ':memory:') mkdirSync(path.dirname(options.file), { recursive: true });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(ddl);

  const seriesIds = new Map<string, number>();
  const kinds = new Map<string, FieldKind>();
  for (const row of db.prepare('SELECT measurement, field, kind FROM fields').all() as Array<{ measurement: string; field: string; kind: FieldKind }>) {
    kinds.set(fieldKindKey(row.measurement, row.field), row.kind);
  }

  const insertSeries = db.prepare('INSERT INTO series (measurement, tags, device) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  const selectSeries = db.prepare('SELECT id FROM series WHERE measurement = ? AND tags = ?').pluck();
  const touchSeries = db.prepare('UPDATE series SET last_ts = MAX(last_ts, ?) WHERE id = ?');
  const insertField = db.prepare('INSERT INTO fields (measurement, field, kind) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  const upsertPoint = db.prepare('INSERT INTO points (series_id, field, ts, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value');
  const deleteOld = db.prepare('DELETE FROM points WHERE ts < ?');

  function seriesId(point: Point): number {
    const tags = canonicalTags(point.tags);
    const key = `${point.measurement}\u0000${tags}`;
    let id = seriesIds.get(key);
    if (id === undefined) {
      insertSeries.run(point.measurement, tags, point.tags[schema.deviceTag] ?? null);
      id = selectSeries.get(point.measurement, tags) as number;
      seriesIds.set(key, id);
    }
    return id;
  }

  /** A field keeps the kind it was first stored with; a value of another kind is refused. */
  function acceptsKind(measurement: string, field: string, value: FieldValue): boolean {
    const key = fieldKindKey(measurement, field);
    const kind = kindOf(value);
    const known = kinds.get(key);
    if (known === undefined) {
      insertField.run(measurement, field, kind);
      kinds.set(key, kind);
      return true;
    }
    return known === kind;
  }

  const writeAll = db.transaction((points: readonly Point[]): number => {
    let rejected = 0;
    for (const point of points) {
      const id = seriesId(point);
      let written = false;
      for (const [field, value] of Object.entries(point.fields)) {
        if (!acceptsKind(point.measurement, field, value)) continue;
        upsertPoint.run(id, field, point.timestampMs, typeof value === 'boolean' ? Number(value) : value);
        written = true;
      }
      if (written) touchSeries.run(point.timestampMs, id);
      else rejected++;
    }
    return rejected;
  });

  function applyRetention(): void {
    const cutoff = now() - options.retentionDays * 86_400_000;
    const { changes } = deleteOld.run(cutoff);
    if (changes > 0) log.info({ deleted: changes, retentionDays: options.retentionDays }, 'old points deleted');
  }
  applyRetention();
  const retentionTimer = setInterval(applyRetention, options.retentionIntervalMs ?? 3_600_000);
  retentionTimer.unref();

  function fromStored(measurement: string, field: string, value: unknown): FieldValue {
    const kind = kinds.get(fieldKindKey(measurement, field));
    if (kind === 'boolean') return value === 1;
    return value as FieldValue;
  }

  return {
    kind: 'sqlite',
    async write(points): Promise<WriteOutcome> {
      try {
        const rejected = writeAll(points);
        return rejected === 0 ? { ok: true } : { ok: false, retryable: false, reason: 'field type conflict', rejectedPoints: rejected };
      } catch (err) {
        // A full disk or a locked file may pass; the bridge spools and retries.
        return { ok: false, retryable: true, reason: (err as Error).message };
      }
    },
    async queryHistory(q: HistoryRequest): Promise<HistoryPoint[]> {
      const where = 's.measurement = ? AND s.device = ? AND p.field = ? AND p.ts >= ? AND p.ts < ?';
      const args = [schema.measurement, q.device, q.field, q.fromMs, q.toMs];
      let rows: Array<{ t: number; v: unknown }>;
      if (q.everyMs === null || q.agg === null) {
        rows = db.prepare(`SELECT p.ts AS t, p.value AS v FROM points p JOIN series s ON s.id = p.series_id WHERE ${where} ORDER BY p.ts LIMIT ?`).all(...args, q.limit) as typeof rows;
      } else {
        // `last`: SQLite takes the bare column from the row holding MAX(ts) in each group.
        const value = aggSql[q.agg];
        const extra = q.agg === 'last' ? ', MAX(p.ts)' : '';
        const window = 'p.ts - (p.ts % ?)'; // % works on integers, whatever type the bound number has
        rows = db
          .prepare(`SELECT ${window} AS t, ${value} AS v${extra} FROM points p JOIN series s ON s.id = p.series_id WHERE ${where} GROUP BY t ORDER BY t LIMIT ?`)
          .all(q.everyMs, ...args, q.limit) as typeof rows;
      }
      return rows.map((r) => ({ t: r.t, v: typeof r.v === 'number' ? r.v : null }));
    },
    async devices(): Promise<DeviceRecord[]> {
      const series = db.prepare('SELECT id, device, last_ts AS lastTs FROM series WHERE measurement = ? AND device IS NOT NULL ORDER BY device').all(schema.measurement) as Array<{ id: number; device: string; lastTs: number }>;
      const fieldNames = (db.prepare('SELECT field FROM fields WHERE measurement = ?').pluck().all(schema.measurement) as string[]).sort();
      const valueAt = db.prepare('SELECT value FROM points WHERE series_id = ? AND field = ? AND ts = ?').pluck();
      const byDevice = new Map<string, DeviceRecord>();
      for (const s of series) {
        const prev = byDevice.get(s.device);
        if (prev && prev.lastSeenMs >= s.lastTs) continue;
        const latest: Record<string, FieldValue> = {};
        for (const field of fieldNames) {
          const value = valueAt.get(s.id, field, s.lastTs);
          if (value !== undefined && value !== null) latest[field] = fromStored(schema.measurement, field, value);
        }
        byDevice.set(s.device, { deviceId: s.device, lastSeenMs: s.lastTs, latest });
      }
      return [...byDevice.values()];
    },
    async fieldKinds() {
      return new Map(kinds);
    },
    async ping() {
      return db.open;
    },
    async close() {
      clearInterval(retentionTimer);
      if (db.open) db.close();
    },
  };
}

function canonicalTags(tags: Record<string, string>): string {
  const keys = Object.keys(tags).sort();
  return JSON.stringify(keys.map((k) => [k, tags[k]]));
}
