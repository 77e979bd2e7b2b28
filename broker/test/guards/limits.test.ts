// Each limit with a running broker and real clients: the exact CONNACK, SUBACK or HTTP status, the
// counter by reason, and one log line per client rather than per packet.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';
import { adminPassword, connackCode, connect, deviceToken, refusalCount, securedConfig, signToken, subackCodes, upgradeStatus } from '../auth/helpers.ts';

const adminToken = () => signToken({ sub: 'root', role: 'admin' });

/** Sends `first`, then `afterReply` once the server answered; resolves with whether the server closed the socket. */
function rawSession(port: number, [first, afterReply]: [Buffer, Buffer], waitMs = 3000): Promise<{ closed: boolean; received: Buffer }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ closed, received: Buffer.concat(chunks) });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (d) => {
      if (chunks.length === 0) socket.write(afterReply);
      chunks.push(d);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => socket.write(first));
  });
}

test('maximum packet size is refused from the header, before the payload arrives', async (t) => {
  const server = await startTestApp(securedConfig({ guards: { maxPacketBytes: 1024 } }));
  t.after(() => server.close());
  const connectFrame = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: 'root-raw', username: 'root', password: Buffer.from(await adminToken()) });
  // a PUBLISH header announcing 100 MB, and none of the payload: the broker closes at once
  const header = Buffer.from([0x30, 0x80, 0x80, 0x80, 0x30]);
  const raw = await rawSession(server.ports.mqtt, [connectFrame, header]);
  assert.equal(raw.closed, true);
  assert.deepEqual([...raw.received.subarray(0, 4)], [0x20, 0x02, 0x00, 0x00], 'CONNACK 0 came first');

  for (const url of [server.mqttUrl, server.wsUrl]) {
    const client = await connect(url, { clientId: `root-${url.slice(0, 2)}`, password: await adminToken() });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('big/one', Buffer.alloc(2000), { qos: 0 });
    await closed;
    await client.endAsync(true);
  }
  assert.equal(await refusalCount(server.httpUrl, 'packet-too-large'), 3);
});

test('per-client publish rate: QoS 0 over the limit dropped and counted, QoS 1 slowed, never dropped', async (t) => {
  const server = await startTestApp(securedConfig({ guards: { publishRatePerSec: 20, publishBurst: 20 } }));
  t.after(() => server.close());
  const watcher = await connect(server.mqttUrl, { clientId: 'watcher', password: await adminToken() });
  t.after(() => watcher.endAsync(true));
  const got = { q0: 0, q1: 0 };
  watcher.on('message', (topic) => (topic.endsWith('q0') ? got.q0++ : got.q1++));
  await watcher.subscribeAsync('devices/d1/#', { qos: 1 });

  const device = await connect(server.mqttUrl, { clientId: 'd1', password: await deviceToken('d1') });
  t.after(() => device.endAsync(true));
  for (let i = 0; i < 200; i++) device.publish('devices/d1/replies/q0', String(i), { qos: 0 });
  await device.publishAsync('devices/d1/replies/q1', 'flush', { qos: 1 });
  await waitFor(() => got.q1 === 1, 5000, 'the QoS 1 marker');
  assert.ok(got.q0 >= 20 && got.q0 < 100, `QoS 0 delivered: ${got.q0}`);
  assert.equal((await refusalCount(server.httpUrl, 'publish-rate')) + got.q0, 200, 'every QoS 0 publish was delivered or counted');
  assert.equal(device.connected, true);

  // QoS 1: 60 messages at 20/s with an empty bucket take about 3 s; all arrive
  const started = Date.now();
  await Promise.all(Array.from({ length: 60 }, (_, i) => device.publishAsync('devices/d1/replies/q1', String(i), { qos: 1 })));
  await waitFor(() => got.q1 === 61, 10_000, 'every QoS 1 message');
  assert.ok(Date.now() - started >= 2000, `QoS 1 slowed down (${Date.now() - started} ms)`);
});

test('QoS 1 publishes slowed by the rate limit arrive in the order they were sent', async (t) => {
  const server = await startTestApp(securedConfig({ guards: { publishRatePerSec: 200, publishBurst: 100 } }));
  t.after(() => server.close());
  const watcher = await connect(server.mqttUrl, { clientId: 'watcher', password: await adminToken() });
  t.after(() => watcher.endAsync(true));
  const received: string[] = [];
  watcher.on('message', (_topic, payload) => received.push(payload.toString()));
  await watcher.subscribeAsync('devices/d1/#', { qos: 1 });
  const device = await connect(server.mqttUrl, { clientId: 'd1', password: await deviceToken('d1') });
  t.after(() => device.endAsync(true));
  const count = 800;
  await Promise.all(Array.from({ length: count }, (_, i) => device.publishAsync('devices/d1/replies/r', String(i), { qos: 1 })));
  await waitFor(() => received.length === count, 15_000, 'every message');
  // a delayed message is never overtaken by a later one that found a token [MQTT-4.6.0-2]
  assert.deepEqual(received, Array.from({ length: count }, (_, i) => String(i)));
});

test('connections per IP: TCP closed before CONNACK, WebSocket HTTP 503', async (t) => {
  const server = await startTestApp(securedConfig({ guards: { maxConnectionsPerIp: 2 } }));
  t.after(() => server.close());
  const clients = await Promise.all([0, 1].map(async (i) => connect(server.mqttUrl, { clientId: `root-${i}`, password: await adminToken() })));
  t.after(() => Promise.all(clients.map((c) => c.endAsync(true))));
  await assert.rejects(connackCode(server.mqttUrl, { clientId: 'root-3', password: await adminToken() }), /closed without CONNACK/);
  assert.equal(await upgradeStatus(server.wsUrl), 503);
  assert.equal(await refusalCount(server.httpUrl, 'connections-per-ip'), 2);
  await clients[0]!.endAsync(true);
  await waitFor(async () => (await connackCode(server.mqttUrl, { clientId: 'root-4', password: await adminToken() })) === 0, 5000, 'a free slot');
});

test('connection attempts per IP per minute', async (t) => {
  const server = await startTestApp(securedConfig({ guards: { connectAttemptsPerIpPerMin: 3 } }));
  t.after(() => server.close());
  for (let i = 0; i < 3; i++) assert.equal(await connackCode(server.mqttUrl, { clientId: `root-${i}`, password: await adminToken() }), 0);
  await assert.rejects(connackCode(server.mqttUrl, { clientId: 'root-x', password: await adminToken() }), /closed without CONNACK/);
  assert.equal(await upgradeStatus(server.wsUrl), 503);
  assert.equal(await refusalCount(server.httpUrl, 'connect-rate'), 2);
});

test('WebSocket Origin allowlist → HTTP 403', async (t) => {
  const server = await startTestApp(securedConfig({ guards: { allowedOrigins: ['https://console.example'] } }));
  t.after(() => server.close());
  assert.equal(await upgradeStatus(server.wsUrl, { headers: { Origin: 'https://evil.example' } }), 403);
  assert.equal(await upgradeStatus(server.wsUrl, { headers: { Origin: 'https://console.example' } }), 101);
  assert.equal(await upgradeStatus(server.wsUrl), 101, 'no Origin: not a browser');
  assert.equal(await refusalCount(server.httpUrl, 'origin'), 1);
});

test('topic length and levels: publish dropped, subscribe SUBACK 0x80', async (t) => {
  const server = await startTestApp(securedConfig({ guards: { maxTopicLength: 32, maxTopicLevels: 4 } }));
  t.after(() => server.close());
  const client = await connect(server.mqttUrl, { clientId: 'root-1', password: await adminToken() });
  t.after(() => client.endAsync(true));
  const long = `a/${'x'.repeat(40)}`;
  const deep = 'a/b/c/d/e';
  assert.deepEqual(await subackCodes(client, ['a/b/c/d', long, deep, 'a/#']), [1, 128, 128, 1]);
  const seen: string[] = [];
  client.on('message', (topic) => seen.push(topic));
  await client.publishAsync(long, 'x', { qos: 1 });
  await client.publishAsync(deep, 'x', { qos: 1 });
  await client.publishAsync('a/ok', 'x', { qos: 1 });
  await waitFor(() => seen.includes('a/ok'), 5000, 'the allowed message');
  assert.deepEqual(seen, ['a/ok']);
  assert.equal(await refusalCount(server.httpUrl, 'topic-too-long'), 2);
  assert.equal(await refusalCount(server.httpUrl, 'topic-too-deep'), 2);
});

test('refusals are logged once per client, counted every time', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  const device = await connect(server.mqttUrl, { clientId: 'd1', password: await deviceToken('d1') });
  t.after(() => device.endAsync(true));
  for (let i = 0; i < 50; i++) await device.publishAsync('devices/d2/telemetry', 'x', { qos: 1 });
  assert.equal(await refusalCount(server.httpUrl, 'forbidden-publish'), 50);
  const lines = server.logs.filter((l) => l.reason === 'forbidden-publish');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.clientId, 'd1');
});
test('failed logins and failed CONNECTs per IP are rate-limited: HTTP 429, CONNACK 0x05', async (t) => {
  const server = await startTestApp(securedConfig({ guards: { failedAuthPerIpPerMin: 3 } }));
  t.after(() => server.close());
  const login = (password: string) =>
    fetch(`${server.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  for (let i = 0; i < 3; i++) assert.equal((await login('wrong-password')).status, 401);
  // the limit is reached: even the right password is refused for now
  assert.equal((await login(adminPassword)).status, 429);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'admin-x', username: 'admin', password: adminPassword }), 5);
  assert.ok((await refusalCount(server.httpUrl, 'failed-auth-rate')) >= 2);
});
