// The embedded store's costs, measured by hand:
//
//   node --conditions=source --import tsx bench/sqlite-store.ts --encoding [--runs 3]
//     main-thread cost of handing a 5,000-point batch to a worker: structured clone of the Point[],
//     JSON.stringify, or the flat arrays of point-batch.ts; and for points that still hold their JSON
//     payload (JsonPoint), parsing them here or sending their bytes (medians over 40 batches per run)
//   node --conditions=source --import tsx bench/sqlite-store.ts --schema [--seconds 40]
//     per-batch SQLite cost with and without an index on points.ts, 19,000 series x 3 fields per
//     simulated second, and the retention delete of the first 10 s both ways
//   node --conditions=source --import tsx bench/sqlite-store.ts [--seconds 20]
//     the store itself: 19,000 devices x 3 fields per simulated second written in 5,000-point
//     batches; per-batch round trip and the longest stall of the main thread's event loop
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createLogger } from '../broker/src/logger.ts';
import { createShapeCache, scanFlatJson } from '../broker/src/points/flat-json.ts';
import { createJsonPoint, createPayloadSlab } from '../broker/src/points/json-point.ts';
import { encodeBatch, transferables } from '../broker/src/stores/sqlite/point-batch.ts';
import { createSqliteStore } from '../broker/src/stores/sqlite/sqlite-store.ts';
import { defaultSchema, type Point } from '../broker/src/stores/types.ts';
import { flagValue, median } from './sim-support.ts';

const fleet = 19_000;
const batchPoints = 5000;
const T0 = Date.now() - 3_600_000;

function batch(from: number, second: number): Point[] {
  return Array.from({ length: Math.min(batchPoints, fleet - from) }, (_, i) => ({
    measurement: 'telemetry',
    tags: { device_id: `dev-${from + i}`, site: 'bench' },
    fields: { temp: 20 + Math.random() * 5, hum: 40 + Math.random() * 20, volt: 3.3 + Math.random() / 10 },
    timestampMs: T0 + second * 1000,
  }));
}

function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

async function encoding(): Promise<void> {
  const echo = new Worker("require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(0));", { eval: true });
  const batches = Array.from({ length: 40 }, (_, b) => batch((b * batchPoints) % fleet, b));
  const ways: Record<string, (points: Point[]) => void> = {
    'structured clone': (points) => echo.postMessage(points),
    'JSON string': (points) => echo.postMessage(JSON.stringify(points)),
    'flat arrays': (points) => {
      const encoded = encodeBatch(points);
      echo.postMessage(encoded, transferables(encoded));
    },
  };
  const results = new Map<string, number[]>();
  for (let run = 0; run < Number(flagValue('runs', '3')); run++) {
    for (const [name, send] of Object.entries(ways)) {
      const times: number[] = [];
      for (const points of batches) {
        const started = process.hrtime.bigint();
        send(points);
        times.push(elapsedMs(started));
        await new Promise((resolve) => echo.once('message', resolve));
      }
      results.set(name, [...(results.get(name) ?? []), median(times)]);
    }
  }
  // Points as the bridge makes them from flat JSON payloads: fresh each batch, fields not yet parsed.
  const shapes = createShapeCache();
  const slab = createPayloadSlab();
  const jsonBatch = (b: number): Point[] =>
    batch((b * batchPoints) % fleet, b).map((p) => {
      const payload = Buffer.from(JSON.stringify({ ...p.fields, ts: p.timestampMs }));
      return createJsonPoint(slab, p.measurement, p.tags, payload, scanFlatJson(payload, 'ts', shapes)!.shape, p.timestampMs);
    });
  const jsonWays: Record<string, (points: Point[]) => void> = {
    'JsonPoints, fields parsed here': (points) => ways['flat arrays']!(points.map((p) => ({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestampMs: p.timestampMs }))),
    'JsonPoints as bytes': ways['flat arrays']!,
  };
  for (let run = 0; run < Number(flagValue('runs', '3')); run++) {
    for (const [name, send] of Object.entries(jsonWays)) {
      const times: number[] = [];
      for (const points of Array.from({ length: 40 }, (_, b) => jsonBatch(b))) {
        const started = process.hrtime.bigint();
        send(points);
        times.push(elapsedMs(started));
        await new Promise((resolve) => echo.once('message', resolve));
      }
      results.set(name, [...(results.get(name) ?? []), median(times)]);
    }
  }
  await echo.terminate();
  for (const [name, medians] of results) console.log(`${name.padEnd(30)} ${median(medians).toFixed(2)} ms per ${batchPoints}-point batch on the main thread (runs: ${medians.map((m) => m.toFixed(2)).join(', ')})`);
}

function schemaVariant(dir: string, withTsIndex: boolean, seconds: number): void {
  const file = path.join(dir, `schema-${withTsIndex}.sqlite`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE series (id INTEGER PRIMARY KEY, measurement TEXT NOT NULL, tags TEXT NOT NULL, device TEXT, last_ts INTEGER NOT NULL DEFAULT 0, UNIQUE (measurement, tags));
    CREATE TABLE points (series_id INTEGER NOT NULL, field TEXT NOT NULL, ts INTEGER NOT NULL, value, PRIMARY KEY (series_id, field, ts)) WITHOUT ROWID;`);
  if (withTsIndex) db.exec('CREATE INDEX points_ts ON points (ts)');
  const addSeries = db.prepare('INSERT INTO series (measurement, tags, device) VALUES (?, ?, ?)');
  const ids = Array.from({ length: fleet }, (_, i) => Number(addSeries.run('telemetry', `[["device_id","dev-${i}"]]`, `dev-${i}`).lastInsertRowid));
  const upsert = db.prepare('INSERT INTO points (series_id, field, ts, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value');
  const touch = db.prepare('UPDATE series SET last_ts = MAX(last_ts, ?) WHERE id = ?');
  const write = db.transaction((from: number, count: number, ts: number) => {
    for (const id of ids.slice(from, from + count)) {
      for (const [field, value] of [['temp', 21.5], ['hum', 50.2], ['volt', 3.31]] as const) upsert.run(id, field, ts, value);
      touch.run(ts, id);
    }
  });
  const times: number[] = [];
  for (let second = 0; second < seconds; second++) {
    for (let from = 0; from < fleet; from += batchPoints) {
      const count = Math.min(batchPoints, fleet - from);
      const started = process.hrtime.bigint();
      write(from, count, T0 + second * 1000);
      times.push((elapsedMs(started) * batchPoints) / count);
    }
  }
  const cutoffMs = T0 + 10_000;
  const started = process.hrtime.bigint();
  let deleted = 0;
  if (withTsIndex) deleted = db.prepare('DELETE FROM points WHERE ts < ?').run(cutoffMs).changes;
  else {
    const deleteOlder = db.prepare('DELETE FROM points WHERE series_id = ? AND field = ? AND ts < ?');
    db.transaction(() => ids.forEach((id) => ['temp', 'hum', 'volt'].forEach((field) => (deleted += deleteOlder.run(id, field, cutoffMs).changes))))();
  }
  const deleteMs = elapsedMs(started);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const last = times.slice(-40);
  console.log(`${withTsIndex ? 'with points_ts   ' : 'without points_ts'} ${median(last).toFixed(1)} ms per ${batchPoints}-point batch (median of the last 40, ${seconds * fleet * 3} rows), file ${(statSync(file).size / 1e6).toFixed(0)} MB, retention deleted ${deleted} rows in ${deleteMs.toFixed(0)} ms`);
}

async function store(dir: string, seconds: number): Promise<void> {
  const telemetry = createSqliteStore({ file: path.join(dir, 'store.sqlite'), retentionDays: 30, schema: defaultSchema, log: createLogger('silent') });
  // The longest stretch the main thread went without a 1 ms timer firing: what routing would wait.
  let lastTick = process.hrtime.bigint();
  let longestStallMs = 0;
  let ticks = 0;
  const ticker = setInterval(() => {
    longestStallMs = Math.max(longestStallMs, elapsedMs(lastTick));
    lastTick = process.hrtime.bigint();
    ticks++;
  }, 1);
  const roundTrips: number[] = [];
  const started = process.hrtime.bigint();
  for (let second = 0; second < seconds; second++) {
    for (let from = 0; from < fleet; from += batchPoints) {
      const points = batch(from, second);
      const sent = process.hrtime.bigint();
      const outcome = await telemetry.write(points);
      if (!outcome.ok) throw new Error(`write failed: ${JSON.stringify(outcome)}`);
      roundTrips.push(elapsedMs(sent));
    }
  }
  clearInterval(ticker);
  longestStallMs = Math.max(longestStallMs, elapsedMs(lastTick));
  const totalS = elapsedMs(started) / 1000;
  await telemetry.close();
  console.log(`store: ${seconds * fleet} points in ${totalS.toFixed(1)} s (${Math.round((seconds * fleet) / totalS)} points/s); write round trip median ${median(roundTrips).toFixed(1)} ms`);
  console.log(`main thread while writing: ${ticks} ticks of a 1 ms timer, longest stall ${longestStallMs.toFixed(1)} ms`);
}

const dir = mkdtempSync(path.join(tmpdir(), 'telemq-sqlite-bench-'));
try {
  if (process.argv.includes('--encoding')) await encoding();
  else if (process.argv.includes('--schema')) {
    const seconds = Number(flagValue('seconds', '40'));
    schemaVariant(dir, true, seconds);
    schemaVariant(dir, false, seconds);
  } else await store(dir, Number(flagValue('seconds', '20')));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
