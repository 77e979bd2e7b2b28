// The embedded database, opened by sqlite/open-sqlite.ts and loaded only inside the store's
// worker thread (sqlite-worker.ts), so its synchronous calls never hold up MQTT routing. One file in
// WAL mode; a series table (measurement + tags) and a points table keyed by series, field and time,
// so writing the same series and timestamp again overwrites instead of doubling. ts is epoch ms; a
// point stamped on arrival has a fraction (microseconds, bridge/arrival-clock.ts), kept as a REAL in
// the same column, so points of one burst stay distinct. The API reads whole milliseconds.
import { openSqlite, type SqliteStatement } from '../../sqlite/open-sqlite.ts';
import type { HistoryPoint } from '../../contract/index.ts';
import { fieldKindKey, type DeviceRecord, type FieldKind, type FieldValue, type HistoryRequest, type TelemetrySchema } from '../types.ts';
import { forEachPoint, type DecodedPoint, type PointBatch } from './point-batch.ts';

export interface TelemetryDb {
  /** returns how many points were refused for a field kind conflict */
  write(batch: PointBatch): number;
  history(request: HistoryRequest): HistoryPoint[];
  devices(): DeviceRecord[];
  fieldKinds(): Array<[string, FieldKind]>;
  /** deletes points older than cutoffMs; returns how many */
  retain(cutoffMs: number): number;
  close(): void;
}

// No index on points.ts: retention deletes by (series, field) ranges of the primary key instead.
// With 19,000 series x 3 fields and 2.3 M rows, a 5,000-point batch takes a median 74 ms instead of
// 89 ms, the file is 72 MB instead of 120 MB, and deleting 10 s of the fleet's points takes 345 ms
// instead of 1,167 ms (bench/sqlite-store.ts --schema). Files made with the index lose it at first open.
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
DROP INDEX IF EXISTS points_ts;
CREATE TABLE IF NOT EXISTS fields (
  measurement TEXT NOT NULL,
  field TEXT NOT NULL,
  kind TEXT NOT NULL,
  PRIMARY KEY (measurement, field)
);
`;

const kindNames = ['number', 'boolean', 'string'] as const satisfies readonly FieldKind[];
const aggSql = { mean: 'AVG(p.value)', min: 'MIN(p.value)', max: 'MAX(p.value)', last: 'p.value' } as const;

export function openTelemetryDb(file: string, schema: TelemetrySchema): TelemetryDb {
  const db = openSqlite(file);
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
  const seriesFields = db.prepare('SELECT s.id, f.field FROM series s JOIN fields f ON f.measurement = s.measurement').raw();
  const deleteOlder = db.prepare('DELETE FROM points WHERE series_id = ? AND field = ? AND ts < ?');
  const deviceSeries = db.prepare('SELECT id, device, last_ts AS lastTs FROM series WHERE measurement = ? AND device IS NOT NULL ORDER BY device');
  const fieldsOf = db.prepare('SELECT field FROM fields WHERE measurement = ?').pluck();
  const valueAt = db.prepare('SELECT value FROM points WHERE series_id = ? AND field = ? AND ts = ?').pluck();
  /** history statements by SQL text: a handful of shapes (raw + one per aggregation), compiled once */
  const historyStatements = new Map<string, SqliteStatement>();

  function seriesId(point: DecodedPoint): number {
    const tags = canonicalTags(point.tags);
    const key = `${point.measurement}\u0000${tags}`;
    let id = seriesIds.get(key);
    if (id === undefined) {
      const device = point.tags.find(([name]) => name === schema.deviceTag)?.[1] ?? null;
      insertSeries.run(point.measurement, tags, device);
      id = selectSeries.get(point.measurement, tags) as number;
      seriesIds.set(key, id);
    }
    return id;
  }

  /** A field keeps the kind it was first stored with; a value of another kind is refused. */
  function acceptsKind(measurement: string, field: string, kind: FieldKind): boolean {
    const key = fieldKindKey(measurement, field);
    const known = kinds.get(key);
    if (known === undefined) {
      insertField.run(measurement, field, kind);
      kinds.set(key, kind);
      return true;
    }
    return known === kind;
  }

  const writeAll = db.transaction((batch: PointBatch): number => {
    let rejected = 0;
    forEachPoint(batch, (point) => {
      const id = seriesId(point);
      let written = false;
      for (const field of point.fields) {
        if (!acceptsKind(point.measurement, field.name, kindNames[field.kind])) continue;
        upsertPoint.run(id, field.name, point.timestampMs, field.value);
        written = true;
      }
      if (written) touchSeries.run(point.timestampMs, id);
      else rejected++;
    });
    return rejected;
  });

  /** Every stored point belongs to a series and a field of its measurement: one key range each. */
  const retainSince = db.transaction((cutoffMs: number): number => {
    let deleted = 0;
    for (const [id, field] of seriesFields.all() as Array<[number, string]>) deleted += deleteOlder.run(id, field, cutoffMs).changes;
    return deleted;
  });

  function historyStatement(sql: string): SqliteStatement {
    let statement = historyStatements.get(sql);
    if (!statement) historyStatements.set(sql, (statement = db.prepare(sql)));
    return statement;
  }

  function fromStored(measurement: string, field: string, value: unknown): FieldValue {
    return kinds.get(fieldKindKey(measurement, field)) === 'boolean' ? value === 1 : (value as FieldValue);
  }

  return {
    write: (batch) => writeAll(batch),
    history(q) {
      const where = 's.measurement = ? AND s.device = ? AND p.field = ? AND p.ts >= ? AND p.ts < ?';
      const args = [schema.measurement, q.device, q.field, q.fromMs, q.toMs];
      let rows: Array<{ t: number; v: unknown }>;
      if (q.everyMs === null || q.agg === null) {
        rows = historyStatement(`SELECT CAST(p.ts AS INTEGER) AS t, p.value AS v FROM points p JOIN series s ON s.id = p.series_id WHERE ${where} ORDER BY p.ts LIMIT ?`).all(...args, q.limit) as typeof rows;
      } else {
        // `last`: SQLite takes the bare column from the row holding MAX(ts) in each group.
        const value = aggSql[q.agg];
        const extra = q.agg === 'last' ? ', MAX(p.ts)' : '';
        const window = 'CAST(p.ts AS INTEGER) - (CAST(p.ts AS INTEGER) % ?)'; // % works on integers, whatever type the bound number has
        rows = historyStatement(`SELECT ${window} AS t, ${value} AS v${extra} FROM points p JOIN series s ON s.id = p.series_id WHERE ${where} GROUP BY t ORDER BY t LIMIT ?`).all(q.everyMs, ...args, q.limit) as typeof rows;
      }
      return rows.map((r) => ({ t: r.t, v: typeof r.v === 'number' ? r.v : null }));
    },
    devices() {
      const series = deviceSeries.all(schema.measurement) as Array<{ id: number; device: string; lastTs: number }>;
      const fieldNames = (fieldsOf.all(schema.measurement) as string[]).sort();
      const byDevice = new Map<string, DeviceRecord>();
      for (const s of series) {
        const prev = byDevice.get(s.device);
        if (prev && prev.lastSeenMs >= s.lastTs) continue;
        const latest: Record<string, FieldValue> = {};
        for (const field of fieldNames) {
          const value = valueAt.get(s.id, field, s.lastTs);
          if (value !== undefined && value !== null) latest[field] = fromStored(schema.measurement, field, value);
        }
        byDevice.set(s.device, { deviceId: s.device, lastSeenMs: Math.trunc(s.lastTs), latest });
      }
      return [...byDevice.values()];
    },
    fieldKinds: () => [...kinds],
    retain: (cutoffMs) => retainSince(cutoffMs),
    close() {
      if (db.open) db.close();
    },
  };
}

/** The stored form of a series' tags: [name, value] pairs sorted by name, as JSON. */
function canonicalTags(pairs: Array<[string, string]>): string {
  return JSON.stringify(pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
