// Rooms: for each role, every allowed and forbidden publish and subscribe, with real clients.
// A forbidden SUBSCRIBE gets 0x80 for that filter only; a forbidden PUBLISH is dropped (the client
// stays connected) and counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { fetchMetric } from '../../../test/support/metrics.ts';
import { waitFor } from '../../../test/support/net.ts';
import { createAccessControl } from '../../src/auth/index.ts';
import { authConfigSchema } from '../../src/auth/config.ts';
import { createRefusals } from '../../src/guards/refusals.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { connect, refusalCount, securedConfig, signToken, subackCodes, testSecret } from './helpers.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';

interface RoleCase {
  role: string;
  subject: string;
  clientId: string;
  publishAllowed: string[];
  publishForbidden: string[];
  subscribeAllowed: string[];
  subscribeForbidden: string[];
}

const cases: RoleCase[] = [
  {
    role: 'device',
    subject: 'd1',
    clientId: 'd1',
    publishAllowed: ['devices/d1/telemetry', 'devices/d1/status', 'devices/d1/replies/ping', 'devices/d1/replies/a/b'],
    publishForbidden: ['devices/d2/telemetry', 'devices/d1/commands/reboot', 'devices/d1/other', 'devices/d1/telemetry/x', 'other/topic', '$SYS/x'],
    subscribeAllowed: ['devices/d1/commands/#', 'devices/d1/commands/reboot', 'devices/d1/commands/+'],
    subscribeForbidden: ['#', '+', '+/+/+', 'devices/#', 'devices/+/commands/#', 'devices/d2/commands/#', 'devices/d1/#', 'devices/d1/telemetry', '$SYS/#'],
  },
  {
    role: 'console',
    subject: 'alice',
    clientId: 'alice-console',
    publishAllowed: ['devices/d1/commands/reboot', 'devices/d2/commands/a/b'],
    publishForbidden: ['devices/d1/telemetry', 'devices/d1/status', 'devices/d1/replies/x', 'foo', '$SYS/x'],
    subscribeAllowed: ['devices/+/telemetry', 'devices/d1/telemetry', 'devices/+/status', 'devices/+/replies/#', 'devices/d7/replies/x', '$SYS/#'],
    subscribeForbidden: ['#', 'devices/#', 'devices/+/commands/#', 'devices/+/+', '+/+/telemetry', 'foo/bar', '$other/#'],
  },
  {
    role: 'admin',
    subject: 'root',
    clientId: 'root-admin',
    publishAllowed: ['devices/d1/telemetry', 'devices/d1/commands/x', 'anything/else'],
    publishForbidden: ['$SYS/broker/fake'],
    subscribeAllowed: ['#', '$SYS/#', 'devices/+/+'],
    subscribeForbidden: ['$other/#'],
  },
];

async function watchEverything(server: TestApp): Promise<{ client: MqttClient; topics: string[] }> {
  const client = await connect(server.mqttUrl, { clientId: 'watcher', password: await signToken({ sub: 'watcher', role: 'admin' }) });
  const topics: string[] = [];
  client.on('message', (topic) => topics.push(topic));
  await client.subscribeAsync(['#', '$SYS/#'], { qos: 1 });
  return { client, topics };
}

test('ACL matrix: each role over TCP and WebSocket', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  const watcher = await watchEverything(server);
  t.after(() => watcher.client.endAsync(true));

  for (const c of cases) {
    for (const url of [server.mqttUrl, server.wsUrl]) {
      const transport = url.startsWith('ws') ? 'ws' : 'tcp';
      await t.test(`${c.role} over ${transport}`, async () => {
        const client = await connect(url, { clientId: c.clientId, password: await signToken({ sub: c.subject, role: c.role }) });
        try {
          // subscribe: one SUBSCRIBE with every filter, so 0x80 must land on the forbidden ones only
          const filters = [...c.subscribeAllowed, ...c.subscribeForbidden];
          const codes = await subackCodes(client, filters);
          const byFilter = Object.fromEntries(filters.map((f, i) => [f, codes[i]]));
          for (const f of c.subscribeAllowed) assert.equal(byFilter[f], 1, `${c.role} may subscribe ${f}`);
          for (const f of c.subscribeForbidden) assert.equal(byFilter[f], 128, `${c.role} may not subscribe ${f}`);
          await client.unsubscribeAsync(c.subscribeAllowed);

          // publish: forbidden ones are dropped, allowed ones arrive, the client stays connected
          const before = watcher.topics.length;
          const dropsBefore = await refusalCount(server.httpUrl, 'forbidden-publish');
          for (const topic of [...c.publishForbidden, ...c.publishAllowed]) await client.publishAsync(topic, 'x', { qos: 1 });
          const last = c.publishAllowed[c.publishAllowed.length - 1]!;
          await waitFor(() => watcher.topics.slice(before).includes(last), 5000, `${last} at the watcher`);
          const seen = watcher.topics.slice(before).filter((topic) => !topic.startsWith('$SYS/') || topic === '$SYS/broker/fake');
          assert.deepEqual(seen.sort(), [...c.publishAllowed].sort());
          assert.equal(client.connected, true);
          // $SYS is refused by the broker itself before the ACL (counted as a sys-topic drop)
          assert.equal((await refusalCount(server.httpUrl, 'forbidden-publish')) - dropsBefore, c.publishForbidden.filter((topic) => !topic.startsWith('$SYS/')).length);
        } finally {
          await client.endAsync(true);
        }
      });
    }
  }
});

test('a forbidden publish disconnects when auth.disconnectOnForbiddenPublish is set', async (t) => {
  const server = await startTestApp(securedConfig({ auth: { disconnectOnForbiddenPublish: true } }));
  t.after(() => server.close());
  const client = await connect(server.mqttUrl, { clientId: 'd1', password: await signToken({ sub: 'd1', role: 'device' }) });
  t.after(() => client.endAsync(true));
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.publish('devices/d2/telemetry', 'x', { qos: 0 });
  await closed;
});

test('delivery is re-checked with authorizeForward; Bearer tokens for the HTTP API', async (t) => {
  const metrics = createMetricsRegistry();
  const dataDir = tempDirFor(t, 'telemq-acl-');
  const access = await createAccessControl({
    config: authConfigSchema.parse({ jwtSecret: testSecret, adminPassword: 'x-password', scryptCostLog2: 10 }),
    dataDir,
    log: createLogger('silent'),
    metrics,
    refusals: createRefusals(metrics, createLogger('silent')),
  });
  t.after(() => access.close());
  const device = { id: 'd1', context: { transport: 'tcp' as const, remoteAddress: '127.0.0.1', identity: { subject: 'd1', role: 'device' } } };
  assert.equal(access.hooks.authorizeForward(device, 'devices/d1/commands/reboot'), true);
  assert.equal(access.hooks.authorizeForward(device, 'devices/d2/commands/reboot'), false);
  assert.equal(access.hooks.authorizeForward(device, 'devices/d1/telemetry'), false);
  const anonymous = { id: 'x', context: { transport: 'tcp' as const, remoteAddress: '127.0.0.1' } };
  assert.equal(access.hooks.authorizeForward(anonymous, 'devices/d1/commands/reboot'), false);
  const consoleUser = { id: 'c', context: { transport: 'ws' as const, remoteAddress: '127.0.0.1', identity: { subject: 'alice', role: 'console' } } };
  assert.equal(access.hooks.authorizeForward(consoleUser, 'devices/d1/telemetry'), true);
  assert.equal(access.hooks.authorizeForward(consoleUser, 'devices/d1/commands/x'), false);
  assert.equal(access.acl.canSubscribe({ subject: 'alice', role: 'console' }, '$SYS/broker/clients'), true);

  // the HTTP API's check: Authorization: Bearer <jwt>
  const token = await signToken({ sub: 'alice', role: 'console' });
  assert.deepEqual(await access.authenticateRequest({ authorization: `Bearer ${token}` }), { subject: 'alice', role: 'console' });
  assert.equal(await access.authenticateRequest({ authorization: `Bearer ${token}x` }), null);
  assert.equal(await access.authenticateRequest({ authorization: `Basic ${token}` }), null);
  assert.equal(await access.authenticateRequest({}), null);
  assert.equal(await access.authenticateRequest({ authorization: `Bearer ${await signToken({ sub: 'x', role: 'nobody' })}` }), null);
});

test('a last will is held to the same ACL as a publish', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  const watcher = await watchEverything(server);
  t.after(() => watcher.client.endAsync(true));
  const forged = await connect(server.mqttUrl, { clientId: 'd1', password: await signToken({ sub: 'd1', role: 'device' }), will: { topic: 'devices/d2/status', payload: Buffer.from('offline'), qos: 1, retain: false } });
  const own = await connect(server.mqttUrl, { clientId: 'd3', password: await signToken({ sub: 'd3', role: 'device' }), will: { topic: 'devices/d3/status', payload: Buffer.from('offline'), qos: 1, retain: false } });
  // the watcher and both devices are connected; the forged will is judged when the broker sees d1 go
  await waitFor(async () => (await fetchMetric(server.httpUrl, 'telemq_clients_connected')) === 3, 5000, 'three clients');
  forged.stream.destroy();
  await waitFor(async () => (await fetchMetric(server.httpUrl, 'telemq_clients_connected')) === 2, 5000, 'the broker to see d1 go');
  // d3's will is routed after d1's would have been: once it is here, d1's never will be
  own.stream.destroy();
  await waitFor(() => watcher.topics.includes('devices/d3/status'), 5000, 'the allowed will');
  assert.ok(!watcher.topics.includes('devices/d2/status'), 'the forged will was dropped');
  await Promise.all([forged.endAsync(true), own.endAsync(true)]);
});
