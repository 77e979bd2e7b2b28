// The embedded store's worker thread: SQLite works while the event loop goes on; a failing write, a
// worker that dies or one that cannot start give clear outcomes, never a hang; close() drains.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { waitFor } from '../../../test/support/net.ts';
import { createLogger } from '../../src/logger.ts';
import { createShapeCache, scanFlatJson } from '../../src/points/flat-json.ts';
import { createJsonPoint, createPayloadSlab } from '../../src/points/json-point.ts';
import { createSqliteStore, type SqliteStoreOptions } from '../../src/stores/sqlite/sqlite-store.ts';
import { defaultSchema, type HistoryRequest, type Point } from '../../src/stores/types.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';

const log = createLogger('silent');
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

/** `count` points, one per device, 3 numeric fields each, like a fleet's second of telemetry. */
function fleetSecond(count: number, second: number, measurement = 'telemetry'): Point[] {
  return Array.from({ length: count }, (_, i) => ({
    measurement,
    tags: { device_id: `dev-${i}` },
    fields: { temp: 20 + (i % 10), hum: 50 + second, volt: 3.3 },
    timestampMs: T0 + second * 1000,
  }));
}

function history(device: string, over: Partial<HistoryRequest> = {}): HistoryRequest {
  return { device, field: 'hum', fromMs: T0, toMs: T0 + 3_600_000, everyMs: null, agg: null, limit: 10_000, ...over };
}

function tempStore(t: TestContext, over: Partial<SqliteStoreOptions> = {}) {
  const dir = tempDirFor(t, 'telemq-sqlite-worker-');
  const file = path.join(dir, 'telemetry.sqlite');
  const store = createSqliteStore({ file, retentionDays: 30, schema: defaultSchema, log, ...over });
  t.after(() => store.close());
  return { store, file, dir };
}

/** Counts event loop turns until `work` settles: zero means the loop was blocked all along. */
async function loopTurnsDuring<T>(work: Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let done = false;
  const turn = () => {
    if (done) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  const result = await work;
  done = true;
  return { result, turns };
}

test('the event loop keeps turning while a 5,000-point write and a long query run', async (t) => {
  const { store } = tempStore(t);
  for (let second = 0; second < 4; second++) assert.deepEqual(await store.write(fleetSecond(5000, second)), { ok: true });

  // devices() reads the latest values of all 5,000 devices: a long query, followed by a 5,000-point write
  const during = await loopTurnsDuring(Promise.all([store.devices(), store.write(fleetSecond(5000, 4))]));
  assert.ok(during.turns > 0, 'the event loop advanced while SQLite worked');
  const [devices, outcome] = during.result;
  assert.equal(devices.length, 5000);
  assert.deepEqual(devices.find((d) => d.deviceId === 'dev-7'), { deviceId: 'dev-7', lastSeenMs: T0 + 3000, latest: { hum: 53, temp: 27, volt: 3.3 } }, 'the query ran before the write sent after it');
  assert.deepEqual(outcome, { ok: true });

  const write = await loopTurnsDuring(store.write(fleetSecond(5000, 5)));
  assert.ok(write.turns > 0, 'the event loop advanced during the write itself');
  assert.deepEqual((await store.queryHistory(history('dev-4999'))).map((p) => p.v), [50, 51, 52, 53, 54, 55]);
});

test('batches land in the order they were written', async (t) => {
  const { store } = tempStore(t);
  // the same series and instant, written 20 times without waiting: the last one submitted wins
  const writes = Array.from({ length: 20 }, (_, i) => store.write([{ measurement: 'telemetry', tags: { device_id: 'd' }, fields: { hum: i }, timestampMs: T0 }]));
  assert.ok((await Promise.all(writes)).every((o) => o.ok));
  assert.deepEqual(await store.queryHistory(history('d')), [{ t: T0, v: 19 }]);
});

test('points that still hold their flat JSON payload are stored like plain points, mixed in one batch', async (t) => {
  const { store } = tempStore(t);
  const shapes = createShapeCache();
  const slab = createPayloadSlab();
  const jsonPoint = (device: string, text: string) => {
    const payload = Buffer.from(text);
    const flat = scanFlatJson(payload, 'ts', shapes);
    assert.ok(flat, text);
    return createJsonPoint(slab, 'telemetry', Object.freeze({ device_id: device }), payload, flat.shape, flat.timestampMs ?? T0);
  };
  const outcome = await store.write([
    jsonPoint('j1', `{"hum":41.5,"on":true,"mode":"eco, fast","ts":${T0}}`),
    { measurement: 'telemetry', tags: { device_id: 'p1' }, fields: { hum: 7, on: false, mode: 'off' }, timestampMs: T0 },
    jsonPoint('j1', `{ "hum" : -2.25 , "on":false,"mode":"x","ts":${T0 + 1000}}`),
    jsonPoint('j2', `{"hum":0}`),
  ]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(await store.devices(), [
    { deviceId: 'j1', lastSeenMs: T0 + 1000, latest: { hum: -2.25, mode: 'x', on: false } },
    { deviceId: 'j2', lastSeenMs: T0, latest: { hum: 0 } },
    { deviceId: 'p1', lastSeenMs: T0, latest: { hum: 7, mode: 'off', on: false } },
  ]);
  assert.deepEqual(await store.queryHistory(history('j1')), [{ t: T0, v: 41.5 }, { t: T0 + 1000, v: -2.25 }]);
  const refused = await store.write([jsonPoint('j3', `{"hum":"wet","ts":${T0}}`)]);
  assert.deepEqual(refused, { ok: false, retryable: false, reason: 'field type conflict', rejectedPoints: 1 });
});

test('a write the database refuses (file locked) is a retryable outcome, and lands when written again', async (t) => {
  const { store, file } = tempStore(t);
  assert.deepEqual(await store.write(fleetSecond(10, 0)), { ok: true });
  const locker = new Database(file);
  t.after(() => locker.close());
  locker.exec('BEGIN EXCLUSIVE');
  const outcome = await store.write(fleetSecond(10, 1)); // waits out SQLite's busy timeout (5 s)
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok && outcome.retryable, 'retryable');
  assert.match(!outcome.ok ? outcome.reason : '', /locked/);
  locker.exec('COMMIT');
  assert.deepEqual(await store.write(fleetSecond(10, 1)), { ok: true });
  assert.equal((await store.queryHistory(history('dev-3'))).length, 2);
});

test('a worker that dies fails what it held (retryable write, rejected query), then starts again on the next call', async (t) => {
  const { store } = tempStore(t, { workerUrl: new URL('./fixtures/crash-on-cue-worker.ts', import.meta.url), restartDelayMs: 0 });
  assert.deepEqual(await store.write(fleetSecond(100, 0)), { ok: true });
  const crashing = store.write(fleetSecond(1, 1, 'crash'));
  const queued = store.queryHistory(history('dev-1')); // sent after the crashing write: never answered by that worker
  const outcome = await crashing;
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok && outcome.retryable, 'retryable: the bridge spools and retries');
  assert.match(!outcome.ok ? outcome.reason : '', /store worker stopped/);
  await assert.rejects(queued, /store worker stopped/);

  assert.equal(await store.ping(), true, 'a new worker answers');
  assert.deepEqual(await store.write(fleetSecond(100, 2)), { ok: true });
  assert.deepEqual((await store.queryHistory(history('dev-1'))).map((p) => p.v), [50, 52], 'what landed before the crash is still there');
});

test('a worker that cannot open its file: the store reports itself down, every call fails cleanly', async (t) => {
  const dir = tempDirFor(t, 'telemq-sqlite-worker-');
  const notAFolder = path.join(dir, 'plain-file');
  writeFileSync(notAFolder, '');
  const store = createSqliteStore({ file: path.join(notAFolder, 'telemetry.sqlite'), retentionDays: 30, schema: defaultSchema, log, restartDelayMs: 0 });
  t.after(() => store.close());
  assert.equal(await store.ping(), false);
  const outcome = await store.write(fleetSecond(10, 0));
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok && outcome.retryable, 'retryable');
  await assert.rejects(store.queryHistory(history('dev-1')), /store worker stopped/);
  await assert.rejects(store.devices(), /store worker stopped/);
  await store.close();
});

test('a worker that keeps dying is started again at most once per restartDelayMs, and each death is logged', async (t) => {
  const dir = tempDirFor(t, 'telemq-sqlite-worker-');
  writeFileSync(path.join(dir, 'plain-file'), '');
  const lines: string[] = [];
  const capture = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
  const store = createSqliteStore({ file: path.join(dir, 'plain-file', 'telemetry.sqlite'), retentionDays: 30, schema: defaultSchema, log: createLogger('info', capture), restartDelayMs: 60_000 });
  t.after(() => store.close());
  const logged = (msg: RegExp) => lines.map((l) => JSON.parse(l) as { msg: string; err?: string }).filter((l) => msg.test(l.msg));
  await waitFor(() => logged(/^store worker stopped/).length > 0, 10_000, 'the first death logged');
  for (let i = 0; i < 5; i++) assert.deepEqual(await store.write(fleetSecond(1, i)), { ok: false, retryable: true, reason: 'store worker restarting' });
  assert.equal(await store.ping(), false);
  assert.equal(logged(/^store worker stopped/).length, 1, 'not started again within the delay');
  assert.match(logged(/^store worker failed/)[0]?.err ?? '', /mkdir/, 'the cause is logged');
});

test('close() with writes in flight answers them, resolves, and later calls fail cleanly', async (t) => {
  const { store, file } = tempStore(t);
  const inFlight = Array.from({ length: 5 }, (_, second) => store.write(fleetSecond(2000, second)));
  await store.close();
  assert.deepEqual(await Promise.all(inFlight), Array.from({ length: 5 }, () => ({ ok: true })));

  const after = await store.write(fleetSecond(1, 9));
  assert.deepEqual(after, { ok: false, retryable: true, reason: 'store closed' });
  await assert.rejects(store.queryHistory(history('dev-1')), /store closed/);
  await assert.rejects(store.fieldKinds(), /store closed/);
  assert.equal(await store.ping(), false);
  await store.close(); // twice is fine

  const reopened = createSqliteStore({ file, retentionDays: 30, schema: defaultSchema, log });
  t.after(() => reopened.close());
  assert.deepEqual((await reopened.queryHistory(history('dev-1999'))).map((p) => p.v), [50, 51, 52, 53, 54]);
});

test('a file made with the points_ts index keeps its points, loses the index, and retention still applies', async (t) => {
  const dir = tempDirFor(t, 'telemq-sqlite-worker-');
  const file = path.join(dir, 'telemetry.sqlite');
  const before = new Database(file);
  before.exec(`
    CREATE TABLE series (id INTEGER PRIMARY KEY, measurement TEXT NOT NULL, tags TEXT NOT NULL, device TEXT, last_ts INTEGER NOT NULL DEFAULT 0, UNIQUE (measurement, tags));
    CREATE INDEX series_device ON series (measurement, device);
    CREATE TABLE points (series_id INTEGER NOT NULL, field TEXT NOT NULL, ts INTEGER NOT NULL, value, PRIMARY KEY (series_id, field, ts)) WITHOUT ROWID;
    CREATE INDEX points_ts ON points (ts);
    CREATE TABLE fields (measurement TEXT NOT NULL, field TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (measurement, field));
    INSERT INTO series (id, measurement, tags, device, last_ts) VALUES (1, 'telemetry', '[["device_id","old-1"]]', 'old-1', ${T0});
    INSERT INTO fields VALUES ('telemetry', 'hum', 'number');
    INSERT INTO points VALUES (1, 'hum', ${T0 - 40 * 86_400_000}, 1), (1, 'hum', ${T0}, 2);
  `);
  before.close();

  const store = createSqliteStore({ file, retentionDays: 30, schema: defaultSchema, log });
  t.after(() => store.close());
  assert.deepEqual(await store.queryHistory(history('old-1', { fromMs: 0 })), [{ t: T0, v: 2 }], 'the 40-day-old point is gone, the recent one stays');
  assert.deepEqual(await store.write([{ measurement: 'telemetry', tags: { device_id: 'old-1' }, fields: { hum: 3 }, timestampMs: T0 + 1000 }]), { ok: true });
  assert.deepEqual((await store.queryHistory(history('old-1'))).map((p) => p.v), [2, 3], 'the same series goes on');
  const reader = new Database(file, { readonly: true });
  t.after(() => reader.close());
  assert.deepEqual(reader.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'points'").pluck().all(), []);
});
