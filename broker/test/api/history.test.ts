// The history and devices API on a real app with the embedded store, fed by mosquitto_pub.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import { mosquittoPub, mosquittoPubLines } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';
import type { DevicesResponse, HistoryResponse } from '../../src/contract/index.ts';
import { unlimited } from '../bridge/helpers.ts';

const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

test('history and devices over HTTP: aggregates, validation, injection, limits', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, guards: unlimited, bridge: { flushIntervalMs: 50 } });
  t.after(() => server.close());
  const get = async (query: string) => {
    const res = await fetch(`${server.httpUrl}${query}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  // 60 s of dev-a: temp = i at T0 + i s.
  const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ temp: i, ts: T0 + i * 1000 }));
  await mosquittoPubLines({ port: server.ports.mqtt }, 'devices/dev-a/telemetry', lines, 1);
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/dev-a/status', 'online', { qos: 1, retain: true });
  const range = `device=dev-a&field=temp&from=${T0}&to=${T0 + 60_000}`;
  await waitFor(async () => ((await get(`/api/history?${range}`)).body as unknown as HistoryResponse).points?.length === 60, 10_000, '60 points');

  await t.test('raw points', async () => {
    const { status, body } = await get(`/api/history?${range}`);
    assert.equal(status, 200);
    const h = body as unknown as HistoryResponse;
    assert.deepEqual({ ...h, points: h.points.slice(0, 2) }, { device: 'dev-a', field: 'temp', from: T0, to: T0 + 60_000, everyMs: null, agg: null, points: [{ t: T0, v: 0 }, { t: T0 + 1000, v: 1 }] });
  });

  await t.test('aggregates, with every in units and ISO dates', async () => {
    const iso = `device=dev-a&field=temp&from=${new Date(T0).toISOString()}&to=${new Date(T0 + 60_000).toISOString()}`;
    for (const [agg, values] of [['mean', [14.5, 44.5]], ['min', [0, 30]], ['max', [29, 59]], ['last', [29, 59]]] as const) {
      const { status, body } = await get(`/api/history?${iso}&every=30s&agg=${agg}`);
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual((body as unknown as HistoryResponse).points, values.map((v, w) => ({ t: T0 + w * 30_000, v })), agg);
      assert.equal(body.everyMs, 30_000);
    }
    const { body } = await get(`/api/history?${range}&every=20000`);
    assert.equal(body.agg, 'mean', 'mean by default');
  });

  await t.test('bad parameters and injection attempts get 400 with the reason', async () => {
    const bad: Array<[string, RegExp]> = [
      [`field=temp&from=${T0}&to=${T0 + 1}`, /device is required/],
      [`device=dev-a&from=${T0}&to=${T0 + 1}`, /field is required/],
      [`device=dev-a&field=temp&to=${T0 + 1}`, /from is required/],
      [`${range}&agg=mean`, /agg needs every/],
      [`device=dev-a&field=temp&from=${T0 + 1}&to=${T0}`, /to must be after from/],
      [`device=dev-a&field=temp&from=0&to=${T0}`, /400 days/],
      [`${range}&every=0`, /every must be a positive duration/],
      [`${range}&every=10s&agg=median`, /agg must be mean, min, max or last/],
      [`${range}&limit=5`, /limit/],
      [`${range}&device=dev-b`, /device/],
      [`device=${encodeURIComponent("dev-a' OR '1'='1")}&field=temp&from=${T0}&to=${T0 + 1}`, /device must be/],
      [`device=${encodeURIComponent('dev-a" OR 1=1 --')}&field=temp&from=${T0}&to=${T0 + 1}`, /device must be/],
      [`device=dev-a&field=${encodeURIComponent('temp" FROM telemetry; DROP DATABASE telemq; --')}&from=${T0}&to=${T0 + 1}`, /field must be/],
      [`device=dev-a&field=${encodeURIComponent('*')}&from=${T0}&to=${T0 + 1}`, /field must be/],
      [`device=dev-a&field=temp&from=${encodeURIComponent(`${T0} OR 1=1`)}&to=${T0 + 1}`, /from must be epoch ms or an ISO 8601/],
      [`device=dev-a&field=temp&from=${T0}&to=${encodeURIComponent('now(); DROP DATABASE telemq')}`, /to must be epoch ms or an ISO 8601/],
      [`${range}&every=${encodeURIComponent('1m) fill(0); DROP DATABASE telemq; --')}`, /every must be a positive duration/],
      [`${range}&every=10s&agg=${encodeURIComponent('mean("temp")); DROP DATABASE telemq')}`, /agg must be/],
    ];
    for (const [query, reason] of bad) {
      const { status, body } = await get(`/api/history?${query}`);
      assert.equal(status, 400, query);
      assert.equal(body.error, 'invalid_query', query);
      assert.match(String(body.message), reason, query);
    }
    assert.equal(((await get(`/api/history?${range}`)).body as unknown as HistoryResponse).points.length, 60, 'data untouched');
  });

  await t.test('a range too large for the window is refused; a raw range too large is downsampled', async () => {
    const year = `device=dev-a&field=temp&from=${T0 - 360 * 86_400_000}&to=${T0 + 60_000}`;
    const refused = await get(`/api/history?${year}&every=1s&agg=max`);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'range_too_large');
    assert.match(String(refused.body.message), /use every >= \d+ms/);
  });

  await t.test('devices: last seen, online from the status topic, latest values', async () => {
    await waitFor(async () => ((await get('/api/devices')).body as unknown as DevicesResponse).devices?.[0]?.status === 'online', 5000, 'online');
    const { status, body } = await get('/api/devices');
    assert.equal(status, 200);
    assert.deepEqual(body, { devices: [{ deviceId: 'dev-a', status: 'online', lastSeen: T0 + 59_000, latest: { temp: 59 } }] });
    await mosquittoPub({ port: server.ports.mqtt }, 'devices/dev-a/status', 'offline', { qos: 1, retain: true });
    await waitFor(async () => ((await get('/api/devices')).body as unknown as DevicesResponse).devices[0]?.status === 'offline', 5000, 'offline');
  });
});

test('history: a raw range with more points than one answer holds is downsampled to the mean per window', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, guards: unlimited, bridge: { flushIntervalMs: 50 } });
  t.after(() => server.close());
  // The app answers at most 10,000 points; 12,000 raw points exceed that.
  const lines = Array.from({ length: 12_000 }, (_, i) => JSON.stringify({ v: i % 2, ts: T0 + i * 100 }));
  await mosquittoPubLines({ port: server.ports.mqtt }, 'devices/many/telemetry', lines, 1);
  const url = `${server.httpUrl}/api/history?device=many&field=v&from=${T0}&to=${T0 + 1_200_000}`;
  await waitFor(async () => {
    const body = (await (await fetch(url)).json()) as HistoryResponse;
    return body.everyMs !== null;
  }, 15_000, 'more than 10,000 points');
  const body = (await (await fetch(url)).json()) as HistoryResponse;
  assert.equal(body.agg, 'mean');
  assert.equal(body.everyMs, 120);
  assert.ok(body.points.length <= 10_000);
  assert.ok(body.points.every((p) => p.v !== null && p.v >= 0 && p.v <= 1));
});
