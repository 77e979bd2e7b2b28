// One contract suite, run against every TelemetryStore: the embedded SQLite file and a real influxd.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test, before, after } from 'node:test';
import { startInfluxd, type RunningService } from '../../../test/support/services.ts';
import { createLogger } from '../../src/logger.ts';
import { createInfluxStore } from '../../src/stores/influx/influx-store.ts';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.ts';
import { defaultSchema, type HistoryRequest, type Point, type TelemetryStore } from '../../src/stores/types.ts';
import { createTempDir, tempDirFor } from '../../../test/support/temp-dir.ts';

const log = createLogger('silent');
/** Recent, so InfluxDB's retention keeps it; aligned to a minute so windows are predictable. */
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

function point(device: string, i: number, fields: Point['fields']): Point {
  return { measurement: 'telemetry', tags: { device_id: device }, fields, timestampMs: T0 + i * 1000 };
}

/** 30 s of dev-a (temp = i, on = i is even) and dev-b (temp = 100 + i). */
const dataSet: Point[] = Array.from({ length: 30 }, (_, i) => [point('dev-a', i, { temp: i, on: i % 2 === 0 }), point('dev-b', i, { temp: 100 + i })]).flat();

function req(over: Partial<HistoryRequest>): HistoryRequest {
  return { device: 'dev-a', field: 'temp', fromMs: T0, toMs: T0 + 30_000, everyMs: null, agg: null, limit: 1000, ...over };
}

interface Harness {
  create(): Promise<TelemetryStore>;
  cleanup(): Promise<void>;
}

function storeContract(name: string, harness: () => Harness): void {
  describe(`TelemetryStore contract: ${name}`, () => {
    let h: Harness;
    let store: TelemetryStore;
    before(async () => {
      h = harness();
      store = await h.create();
      const outcome = await store.write(dataSet);
      assert.deepEqual(outcome, { ok: true });
    });
    after(async () => {
      await store.close();
      await h.cleanup();
    });

    test('raw points come back in time order, only for the asked device and range', async () => {
      const points = await store.queryHistory(req({ fromMs: T0 + 5000, toMs: T0 + 8000 }));
      assert.deepEqual(points, [5, 6, 7].map((i) => ({ t: T0 + i * 1000, v: i })));
    });

    test('aggregates per window: mean, min, max, last', async () => {
      const expected = {
        mean: [4.5, 14.5, 24.5],
        min: [0, 10, 20],
        max: [9, 19, 29],
        last: [9, 19, 29],
      } as const;
      for (const agg of ['mean', 'min', 'max', 'last'] as const) {
        const points = await store.queryHistory(req({ everyMs: 10_000, agg }));
        assert.deepEqual(points, expected[agg].map((v, w) => ({ t: T0 + w * 10_000, v })), agg);
      }
      const partial = await store.queryHistory(req({ fromMs: T0 + 25_000, toMs: T0 + 60_000, everyMs: 20_000, agg: 'mean' }));
      assert.deepEqual(partial, [{ t: T0 + 20_000, v: 27 }], 'a window only holds points in range; empty windows are left out');
    });

    test('the limit bounds the answer', async () => {
      assert.equal((await store.queryHistory(req({ limit: 7 }))).length, 7);
      assert.equal((await store.queryHistory(req({ everyMs: 1000, agg: 'max', limit: 4 }))).length, 4);
    });

    test('writing the same series and timestamp again overwrites instead of doubling', async () => {
      const again = dataSet.filter((p) => p.tags.device_id === 'dev-a').map((p) => ({ ...p, fields: { ...p.fields } }));
      again[3] = { ...again[3]!, fields: { temp: 33, on: false } };
      assert.deepEqual(await store.write(again), { ok: true });
      const points = await store.queryHistory(req({}));
      assert.equal(points.length, 30);
      assert.deepEqual(points[3], { t: T0 + 3000, v: 33 });
      assert.deepEqual(await store.write([{ ...again[3]!, fields: { temp: 3, on: false } }]), { ok: true });
    });

    test('points of one series microseconds apart stay distinct; history reads whole milliseconds', async () => {
      const at = T0 + 3_000_000; // outside the data set's range
      const burst = [0, 0.001, 0.002, 0.999, 1].map((us, i) => ({ measurement: 'telemetry', tags: { device_id: 'dev-u' }, fields: { n: i }, timestampMs: (Math.round(at * 1000) + us * 1000) / 1000 }));
      assert.deepEqual(await store.write(burst), { ok: true });
      assert.deepEqual(await store.write([burst[1]!]), { ok: true }, 'written again: overwrites itself');
      const raw = await store.queryHistory(req({ device: 'dev-u', field: 'n', fromMs: at, toMs: at + 2 }));
      assert.deepEqual(raw, [0, 1, 2, 3, 4].map((v) => ({ t: v === 4 ? at + 1 : at, v })));
      const windows = await store.queryHistory(req({ device: 'dev-u', field: 'n', fromMs: at, toMs: at + 10, everyMs: 1, agg: 'max' }));
      assert.deepEqual(windows, [{ t: at, v: 3 }, { t: at + 1, v: 4 }]);
    });

    test('devices: every device with its last time and latest values', async () => {
      const devices = await store.devices();
      assert.deepEqual(devices.filter((d) => d.deviceId !== 'dev-u'), [
        { deviceId: 'dev-a', lastSeenMs: T0 + 29_000, latest: { on: false, temp: 29 } },
        { deviceId: 'dev-b', lastSeenMs: T0 + 29_000, latest: { temp: 129 } },
      ]);
      assert.deepEqual(devices.find((d) => d.deviceId === 'dev-u'), { deviceId: 'dev-u', lastSeenMs: T0 + 3_000_001, latest: { n: 4 } });
    });

    test('field kinds are reported, and a value of another kind is refused, not retried', async () => {
      const kinds = await store.fieldKinds();
      assert.equal(kinds.get('telemetry\u0000temp'), 'number');
      assert.equal(kinds.get('telemetry\u0000on'), 'boolean');
      const outcome = await store.write([point('dev-c', 1, { temp: 'hot' })]);
      assert.equal(outcome.ok, false);
      assert.equal(!outcome.ok && outcome.retryable, false);
      assert.equal(!outcome.ok && !outcome.retryable && outcome.rejectedPoints, 1);
    });

    test('injection attempts in device and field match nothing and break nothing', async () => {
      const attempts = [`dev-a' OR '1'='1`, 'dev-a" OR "1"="1', 'dev-a\\', "dev-a'; DROP DATABASE x; --", 'dev-a/**/OR/**/1=1'];
      for (const device of attempts) assert.deepEqual(await store.queryHistory(req({ device })), [], device);
      for (const field of ['temp" FROM telemetry; DROP DATABASE x; --', 'temp"', '*', 'temp\\"']) {
        assert.deepEqual(await store.queryHistory(req({ field })), [], field);
      }
      assert.equal((await store.queryHistory(req({}))).length, 30, 'data still there');
    });
  });
}

storeContract('sqlite', () => {
  const dir = createTempDir('telemq-sqlite-');
  return {
    create: async () => createSqliteStore({ file: path.join(dir.path, 'telemetry.sqlite'), retentionDays: 30, schema: defaultSchema, log }),
    cleanup: async () => dir.remove(),
  };
});

storeContract('influxdb', () => {
  let influxd: RunningService | undefined;
  return {
    create: async () => {
      influxd = await startInfluxd();
      return createInfluxStore({ url: `${influxd.url}/contract`, retentionDays: 30, schema: defaultSchema, log });
    },
    cleanup: async () => influxd?.destroy(),
  };
});

test('sqlite: points older than the retention are deleted', async (t) => {
  const dir = tempDirFor(t, 'telemq-sqlite-');
  const file = path.join(dir, 't.sqlite');
  const day = 86_400_000;
  const first = createSqliteStore({ file, retentionDays: 30, schema: defaultSchema, log });
  await first.write([
    { measurement: 'telemetry', tags: { device_id: 'old' }, fields: { v: 1 }, timestampMs: T0 - 40 * day },
    { measurement: 'telemetry', tags: { device_id: 'old' }, fields: { v: 2 }, timestampMs: T0 },
  ]);
  await first.close();
  const second = createSqliteStore({ file, retentionDays: 30, schema: defaultSchema, log });
  t.after(() => second.close());
  const points = await second.queryHistory({ device: 'old', field: 'v', fromMs: 0, toMs: T0 + 1, everyMs: null, agg: null, limit: 10 });
  assert.deepEqual(points, [{ t: T0, v: 2 }]);
});

test('influxdb: a 400 counts the points it refused, whether influxd names a count or not', async (t) => {
  const influxd = await startInfluxd();
  t.after(() => influxd.destroy());
  const store = createInfluxStore({ url: `${influxd.url}/refusals`, retentionDays: 30, schema: defaultSchema, log });
  t.after(() => store.close());
  const at = (i: number, fields: Point['fields'], device = 'dev-r') => ({ measurement: 'telemetry', tags: { device_id: device }, fields, timestampMs: T0 + i });
  const stored = async (device: string) => (await store.queryHistory(req({ device, field: 'v', fromMs: T0, toMs: T0 + 100 }))).length;
  assert.deepEqual(await store.write([at(0, { v: 1 })]), { ok: true });

  // a field type conflict: `partial write: … dropped=1`, the other two landed
  const conflict = await store.write([at(1, { v: 2 }), at(2, { v: 'text' }), at(3, { v: 3 })]);
  assert.equal(!conflict.ok && !conflict.retryable && conflict.rejectedPoints, 1);
  assert.equal(await stored('dev-r'), 3);

  // a line influxd cannot parse (a non-finite number) is named, not counted: `dropped=0`, yet refused
  const unparsable = await store.write([at(4, { v: 4 }), at(5, { v: Infinity }), at(6, { v: 6 })]);
  assert.equal(!unparsable.ok && !unparsable.retryable && unparsable.rejectedPoints, 1);
  assert.equal(await stored('dev-r'), 5);

  // every line refused: 400 without a count, none of the batch landed
  const none = await store.write([at(7, { v: Infinity }, 'dev-n'), at(8, { v: -Infinity }, 'dev-n')]);
  assert.equal(none.ok, false);
  assert.equal(!none.ok && !none.retryable && none.rejectedPoints, 2, !none.ok ? none.reason : '');
  assert.doesNotMatch(!none.ok ? none.reason : '', /dropped=/);
  assert.equal(await stored('dev-n'), 0);
});
