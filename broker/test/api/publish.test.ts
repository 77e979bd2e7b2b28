// POST /api/publish under MQTT's rules: the ACL (403), topic shape (400), packet size (413) and
// publish rate (429) of guards; what passes reaches a real MQTT subscriber (MQTT.js over TCP).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';
import { publishTopicProblem } from '../../src/api/publish.ts';
import { connect, deviceToken, securedConfig, signToken } from '../auth/helpers.ts';

test('publishTopicProblem: names without wildcards, not empty, inside the guards bounds', () => {
  const limits = { maxTopicLength: 16, maxTopicLevels: 3 };
  assert.equal(publishTopicProblem('a/b/c', limits), null);
  for (const bad of ['', 'a/+', 'a/#', 'a\u0000b', 'a/b/c/d', 'x'.repeat(17)]) assert.notEqual(publishTopicProblem(bad, limits), null, JSON.stringify(bad));
});

test('POST /api/publish: allowed topics reach MQTT subscribers; ACL, shape, size and rate refused', async (t) => {
  const server = await startTestApp(securedConfig({ guards: { maxPacketBytes: 1024, publishRatePerSec: 1, publishBurst: 3 } }));
  t.after(() => server.close());
  const viewer = await signToken({ sub: 'alice', role: 'console' });
  const admin = await signToken({ sub: 'root', role: 'admin' });
  const device = await connect(server.mqttUrl, { clientId: 'd1', username: 'd1', password: await deviceToken('d1') });
  t.after(() => device.endAsync(true));
  const received: Array<{ topic: string; text: string; retain: boolean }> = [];
  device.on('message', (topic, payload, packet) => received.push({ topic, text: payload.toString(), retain: packet.retain }));
  await device.subscribeAsync('devices/d1/commands/#', { qos: 1 });

  const post = async (body: unknown, token?: string) => {
    const res = await fetch(`${server.httpUrl}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  assert.equal((await post({ topic: 'devices/d1/commands/ping', payload: '{}' })).status, 401);
  const ok = await post({ topic: 'devices/d1/commands/ping', payload: '{"id":"c1"}', qos: 1 }, viewer);
  assert.deepEqual(ok, { status: 200, body: { topic: 'devices/d1/commands/ping', bytes: 11, qos: 1, retain: false } });
  const binary = await post({ topic: 'devices/d1/commands/raw', payload: Buffer.from('hé').toString('base64'), encoding: 'base64' }, viewer);
  assert.equal(binary.status, 200);
  await waitFor(() => received.length === 2, 5000, 'both commands delivered');
  assert.deepEqual(received, [
    { topic: 'devices/d1/commands/ping', text: '{"id":"c1"}', retain: false },
    { topic: 'devices/d1/commands/raw', text: 'hé', retain: false },
  ]);

  const forbidden = await post({ topic: 'devices/d1/telemetry', payload: '{"t":1}' }, viewer);
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body.error, 'forbidden');
  assert.equal((await post({ topic: 'devices/+/commands/ping', payload: '' }, viewer)).status, 400);
  assert.equal((await post({ topic: 'devices/d1/commands/ping' }, viewer)).status, 400);
  assert.equal((await post({ topic: 'devices/d1/commands/x', payload: 'not base64!', encoding: 'base64' }, viewer)).status, 400);
  assert.equal((await post({ topic: 'devices/d1/commands/big', payload: 'x'.repeat(1100) }, admin)).status, 413);
  // Refusals take no token: of the burst of 3, two went to the published commands, one is left.
  assert.equal((await post({ topic: 'devices/d1/commands/three', payload: '3' }, viewer)).status, 200);
  const limited = await post({ topic: 'devices/d1/commands/four', payload: '4' }, viewer);
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error, 'rate_limited');
  // A dry run checks everything but the rate and publishes nothing: allowed while rate limited, still forbidden.
  assert.deepEqual(await post({ topic: 'devices/d1/commands/dry', payload: 'd', dryRun: true }, viewer), { status: 200, body: { topic: 'devices/d1/commands/dry', bytes: 1, qos: 0, retain: false, dryRun: true } });
  assert.equal((await post({ topic: 'devices/d1/telemetry', payload: '{}', dryRun: true }, viewer)).status, 403);
  // Another caller has its own bucket.
  assert.equal((await post({ topic: 'devices/d1/commands/marker', payload: 'm' }, admin)).status, 200);
  await waitFor(() => received.some((m) => m.topic.endsWith('/marker')), 5000, 'marker delivered');
  assert.deepEqual(received.map((m) => m.topic.split('/').pop()), ['ping', 'raw', 'three', 'marker'], 'nothing refused was delivered');

  const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
  for (const [result, n] of [['published', 4], ['checked', 1], ['forbidden', 2], ['rate_limited', 1], ['too_large', 1], ['unauthorized', 1]] as const) {
    assert.match(metrics, new RegExp(`telemq_http_publishes_total\\{result="${result}"[^}]*\\} ${n}\\n`), result);
  }
});

test('device tokens: minted by an admin only, and accepted by the broker for that device', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  const mint = async (body: unknown, token: string) => {
    const res = await fetch(`${server.httpUrl}/api/device-tokens`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  assert.equal((await mint({ deviceId: 'dev-1' }, await signToken({ sub: 'alice', role: 'console' }))).status, 403);
  const admin = await signToken({ sub: 'root', role: 'admin' });
  assert.equal((await mint({ deviceId: 'a/b' }, admin)).status, 400);
  assert.equal((await mint({ deviceId: 'dev-1', ttl: 'forever' }, admin)).status, 400);
  const minted = await mint({ deviceId: 'dev-1', ttl: '2h' }, admin);
  assert.equal(minted.status, 200);
  const expiresAt = minted.body.expiresAt as number;
  assert.ok(Math.abs(expiresAt - (Date.now() + 2 * 3_600_000)) < 60_000, `expires at ${new Date(expiresAt).toISOString()}`);
  const client = await connect(server.mqttUrl, { clientId: 'dev-1', username: 'dev-1', password: minted.body.token as string });
  t.after(() => client.endAsync(true));
  await client.publishAsync('devices/dev-1/telemetry', '{"t":1}', { qos: 1 });

  const settings = await fetch(`${server.httpUrl}/api/console-settings`, { headers: { authorization: `Bearer ${admin}` } });
  const body = (await settings.json()) as { connect: { mqttPort: number; wsPath: string }; canMintTokens: boolean; fields: Record<string, { unit: string }>; staleAfterIntervals: number };
  assert.deepEqual(body.connect, { mqttPort: server.ports.mqtt, wsPath: '/mqtt' });
  assert.equal(body.canMintTokens, true);
  assert.equal(body.fields.temperature?.unit, '°C');
  assert.equal(body.staleAfterIntervals, 3);
});
