// The fallbacks take filters by the same grammar and ACL as MQTT: a malformed filter answers 400,
// a filter inside a deny pattern is refused, and a wider one brings nothing from denied topics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WirePollResponse } from '../../src/live/wire.ts';
import { startTestApp } from '../../../test/support/app.ts';
import { connect, securedConfig, signToken } from '../auth/helpers.ts';

test('SSE and polling: 400 for malformed filters, deny patterns as over MQTT', async (t) => {
  const viewer = { publish: [], subscribe: ['devices/+/telemetry'], denySubscribe: ['devices/vault/telemetry'] };
  const server = await startTestApp(securedConfig({ auth: { roles: { viewer, admin: { publish: ['#'], subscribe: ['#'] }, device: { publish: [], subscribe: [] } } } }));
  t.after(() => server.close());
  const token = await signToken({ sub: 'v', role: 'viewer' });
  const auth = { authorization: `Bearer ${token}` };

  for (const filter of ['devices/%23/x', 'devices/a%2B', 'a%00b', '']) {
    assert.equal((await fetch(`${server.httpUrl}/sse?filter=${filter}&token=${token}`)).status, 400, `sse ${filter}`);
    const res = await fetch(`${server.httpUrl}/api/poll?filter=devices/%2B/telemetry&filter=${filter}`, { headers: auth });
    assert.equal(res.status, 400, `poll ${filter}`);
    assert.match(((await res.json()) as { message: string }).message, /filter/);
  }

  const poll = async (session?: string) => {
    const res = await fetch(`${server.httpUrl}/api/poll?filter=devices/%2B/telemetry&filter=devices/vault/telemetry&waitMs=5000${session ? `&session=${session}` : ''}`, { headers: auth });
    assert.equal(res.status, 200);
    return (await res.json()) as WirePollResponse;
  };
  const opened = await poll();
  assert.deepEqual({ granted: opened.granted, refused: opened.refused }, { granted: ['devices/+/telemetry'], refused: ['devices/vault/telemetry'] });

  const admin = await connect(server.mqttUrl, { clientId: 'root', password: await signToken({ sub: 'root', role: 'admin' }) });
  t.after(() => admin.endAsync(true));
  await admin.publishAsync('devices/vault/telemetry', '{"v":1}', { qos: 1 });
  await admin.publishAsync('devices/d1/telemetry', '{"v":2}', { qos: 1 });
  const topics: string[] = [];
  for (let i = 0; i < 10 && !topics.includes('devices/d1/telemetry'); i++) topics.push(...(await poll(opened.session)).messages.map((m) => m.topic));
  assert.deepEqual(topics, ['devices/d1/telemetry'], 'the vault message, published first, never came');
});
