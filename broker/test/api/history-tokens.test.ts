// History and devices with real tokens (HS256, signed with jose): a console user reads any device,
// a device only itself, a missing or forged token nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import { mosquittoPubLines } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';
import type { DevicesResponse, HistoryResponse } from '../../src/contract/index.ts';
import { deviceToken, securedConfig, signToken } from '../auth/helpers.ts';

test('history and devices with real tokens: console reads all, a device only itself', async (t) => {
  const server = await startTestApp(securedConfig({ bridge: { flushIntervalMs: 50 } }));
  t.after(() => server.close());
  const T = Date.now() - 60_000;
  const tokens = { d1: await deviceToken('d1'), d2: await deviceToken('d2'), console: await signToken({ sub: 'alice', role: 'console' }) };
  for (const device of ['d1', 'd2'] as const) {
    await mosquittoPubLines({ port: server.ports.mqtt, username: device, password: tokens[device], clientId: device }, `devices/${device}/telemetry`, [JSON.stringify({ temp: 1, ts: T })], 1);
  }
  const get = async (path: string, token?: string) => {
    const res = await fetch(`${server.httpUrl}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const history = (device: string) => `/api/history?device=${device}&field=temp&from=${T}&to=${T + 1}`;
  await waitFor(async () => ((await get(history('d2'), tokens.console)).body as unknown as HistoryResponse).points?.length === 1, 5000, 'points stored');

  assert.equal((await get(history('d1'))).status, 401);
  assert.equal((await get(history('d1'), await signToken({ sub: 'alice', role: 'console' }, { secret: 'another-secret-0123456789-abcdef' }))).status, 401);
  assert.equal((await get('/api/devices')).status, 401);

  assert.deepEqual((await get(history('d1'), tokens.d1)).body.points, [{ t: T, v: 1 }]);
  const refused = await get(history('d2'), tokens.d1);
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error, 'forbidden');
  assert.equal((await get(history('d1'), tokens.console)).status, 200);
  assert.equal((await get(history('d1'), tokens.d2)).status, 403);

  const ids = async (token: string) => ((await get('/api/devices', token)).body as unknown as DevicesResponse).devices.map((d) => d.deviceId);
  assert.deepEqual(await ids(tokens.d1), ['d1']);
  assert.deepEqual(await ids(tokens.d2), ['d2']);
  assert.deepEqual(await ids(tokens.console), ['d1', 'd2']);
});
