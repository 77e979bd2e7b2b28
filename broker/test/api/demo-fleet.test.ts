// POST /api/demo-fleet: an admin starts a few of the simulator's devices inside the broker; they
// connect with signed device tokens and publish telemetry a real subscriber sees; stop (and the
// broker's close) ends them; others are refused; the fleet is bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';
import { loopbackOf } from '../../src/api/demo-fleet.ts';
import type { DemoFleetStatus } from '../../src/contract/index.ts';
import { connect, securedConfig, signToken } from '../auth/helpers.ts';

test('loopbackOf: wildcard listeners are reached on loopback', () => {
  assert.equal(loopbackOf('0.0.0.0'), '127.0.0.1');
  assert.equal(loopbackOf('::'), '127.0.0.1');
  assert.equal(loopbackOf('127.0.0.1'), '127.0.0.1');
  assert.equal(loopbackOf('::1'), '[::1]');
});

test('demo fleet: admin only, bounded, its devices publish telemetry, stopped on request and on close', async (t) => {
  const server = await startTestApp(securedConfig());
  let closed = false;
  t.after(() => (closed ? undefined : server.close()));
  const admin = await signToken({ sub: 'root', role: 'admin' });
  const viewer = await signToken({ sub: 'alice', role: 'console' });
  const call = async (token: string, body?: unknown) => {
    const res = await fetch(`${server.httpUrl}/api/demo-fleet`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as DemoFleetStatus & { error?: string } };
  };

  assert.deepEqual((await call(viewer)).body, { state: 'stopped', devices: 0, connected: 0, prefix: 'demo', detail: '' });
  assert.equal((await call(viewer, { action: 'start' })).status, 403);
  assert.equal((await call(admin, { action: 'start', devices: 21 })).status, 400);

  const sub = await connect(server.mqttUrl, { clientId: 'watcher', username: 'root', password: admin });
  t.after(() => sub.endAsync(true));
  const seen = new Set<string>();
  sub.on('message', (topic) => seen.add(topic));
  await sub.subscribeAsync('devices/+/telemetry', { qos: 0 });

  const started = await call(admin, { action: 'start', devices: 3 });
  assert.equal(started.status, 200);
  assert.equal(started.body.state, 'running');
  assert.equal(started.body.devices, 3);
  await waitFor(() => ['demo-1', 'demo-2', 'demo-3'].every((id) => seen.has(`devices/${id}/telemetry`)), 15_000, 'telemetry from every demo device');
  assert.equal((await call(admin, { action: 'start' })).body.devices, 3, 'one fleet at a time');
  await waitFor(async () => (await call(viewer)).body.connected === 3, 10_000, 'three connected');

  const stopped = await call(admin, { action: 'stop' });
  assert.deepEqual(stopped.body, { state: 'stopped', devices: 0, connected: 0, prefix: 'demo', detail: '' });
  // The devices said goodbye: their retained status is offline.
  const statuses = new Map<string, string>();
  sub.on('message', (topic, payload) => void (topic.endsWith('/status') && statuses.set(topic, payload.toString())));
  await sub.subscribeAsync('devices/+/status', { qos: 0 });
  await waitFor(() => statuses.get('devices/demo-1/status') === 'offline', 10_000, 'demo-1 offline');

  // A running fleet does not keep the broker from closing.
  assert.equal((await call(admin, { action: 'start', devices: 2 })).body.state, 'running');
  await server.close();
  closed = true;
});
