// What one client can make the broker hold is bounded and counted: a persistent session's queue
// (drop-oldest), the session itself (expiry), its subscriptions and the retained topics it owns.
// A broker on port 0 (createApp) with the embedded persistence, MQTT.js and mosquitto_pub clients.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../../../../test/support/app.ts';
import { mosquittoPubLines } from '../../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../../test/support/net.ts';
import { connect, deviceToken, refusalCount, securedConfig, signToken, subackCodes } from '../../auth/helpers.ts';

async function metric(httpUrl: string, prefix: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.split(' ').pop()) : 0;
}
const dropped = (httpUrl: string, reason: string) => metric(httpUrl, `telemq_messages_dropped_total{reason="${reason}"`);

async function awaySession(url: string, clientId: string, filter: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId, clean: false, reconnectPeriod: 0 });
  await client.subscribeAsync(filter, { qos: 1 });
  await client.endAsync();
}

test('a persistent session keeps the newest guards.maxSessionQueueMessages messages; the oldest are dropped and counted', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, guards: { maxSessionQueueMessages: 50, publishRatePerSec: 0 } });
  t.after(() => server.close());
  await awaySession(server.mqttUrl, 'backend-1', 'jobs/#');
  await mosquittoPubLines({ port: server.ports.mqtt }, 'jobs/a', Array.from({ length: 80 }, (_, i) => String(i)));

  const back = mqtt.connect(server.mqttUrl, { clientId: 'backend-1', clean: false, reconnectPeriod: 0 });
  t.after(() => back.end(true));
  const received: string[] = [];
  back.on('message', (_topic, payload) => received.push(payload.toString()));
  await waitFor(() => received.includes('79'), 10_000, 'the newest message');
  const marker = await mqtt.connectAsync(server.mqttUrl, { clientId: 'marker' });
  await marker.publishAsync('jobs/a', 'marker', { qos: 1 });
  await marker.endAsync();
  await waitFor(() => received.includes('marker'), 5000, 'the marker');
  assert.deepEqual(received, [...Array.from({ length: 50 }, (_, i) => String(30 + i)), 'marker']);
  assert.equal(await dropped(server.httpUrl, 'session-queue-full'), 30);
});

test('a session not connected for guards.sessionExpirySec is deleted with its queue, counted', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, guards: { sessionExpirySec: 1 } });
  t.after(() => server.close());
  await awaySession(server.mqttUrl, 'backend-2', 'jobs/#');
  await mosquittoPubLines({ port: server.ports.mqtt }, 'jobs/b', ['1', '2', '3']);
  await waitFor(async () => (await metric(server.httpUrl, 'telemq_sessions_expired_total')) === 1, 10_000, 'the session to expire');
  assert.equal(await dropped(server.httpUrl, 'session-expired'), 3);

  const back = mqtt.connect(server.mqttUrl, { clientId: 'backend-2', clean: false, reconnectPeriod: 0 });
  t.after(() => back.end(true));
  const sessionPresent = await new Promise<boolean>((resolve) => back.once('connect', (connack) => resolve(connack.sessionPresent)));
  assert.equal(sessionPresent, false, 'the expired session is gone [MQTT-3.2.2-3]');
  const received: string[] = [];
  back.on('message', (_topic, payload) => received.push(payload.toString()));
  await back.subscribeAsync('jobs/#', { qos: 1 });
  await mosquittoPubLines({ port: server.ports.mqtt }, 'jobs/b', ['marker']);
  await waitFor(() => received.includes('marker'), 5000, 'the marker');
  assert.deepEqual(received, ['marker'], 'nothing of the expired queue, no subscription kept');
});

test('guards.maxSubscriptionsPerClient: filters past it get 0x80, counted; an unsubscribe frees a place', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, guards: { maxSubscriptionsPerClient: 3 } });
  t.after(() => server.close());
  const client = await mqtt.connectAsync(server.wsUrl, { clientId: 'console-1', reconnectPeriod: 0 });
  t.after(() => client.endAsync(true));
  assert.deepEqual(await subackCodes(client, ['a/1', 'a/2', 'a/3', 'a/4', 'a/5']), [1, 1, 1, 128, 128]);
  assert.deepEqual(await subackCodes(client, ['a/2']), [1], 'subscribing again to a held filter replaces it');
  await client.unsubscribeAsync('a/1');
  assert.deepEqual(await subackCodes(client, ['a/4', 'a/5']), [1, 128]);
  assert.equal(await refusalCount(server.httpUrl, 'subscriptions-per-client'), 3);
  // the bound is per connection: another client has its own
  const other = await mqtt.connectAsync(server.mqttUrl, { clientId: 'console-2', reconnectPeriod: 0 });
  t.after(() => other.endAsync(true));
  assert.deepEqual(await subackCodes(other, ['a/1', 'a/2', 'a/3']), [1, 1, 1]);
});

test('a filter refused by the bound is not kept in a persistent session: nothing on it is queued while the client is away', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, guards: { maxSubscriptionsPerClient: 2 } });
  t.after(() => server.close());
  const first = await mqtt.connectAsync(server.mqttUrl, { clientId: 'backend-3', clean: false, reconnectPeriod: 0 });
  assert.deepEqual(await subackCodes(first, ['a/1', 'a/2', 'a/3']), [1, 1, 128]);
  await first.endAsync();
  await mosquittoPubLines({ port: server.ports.mqtt }, 'a/3', ['refused filter']);
  await mosquittoPubLines({ port: server.ports.mqtt }, 'a/1', ['granted filter']);
  const back = mqtt.connect(server.mqttUrl, { clientId: 'backend-3', clean: false, reconnectPeriod: 0 });
  t.after(() => back.end(true));
  const received: string[] = [];
  back.on('message', (topic) => received.push(topic));
  await waitFor(() => received.includes('a/1'), 5000, 'the message on the granted filter');
  await mosquittoPubLines({ port: server.ports.mqtt }, 'a/2', ['marker']);
  await waitFor(() => received.includes('a/2'), 5000, 'the marker');
  assert.deepEqual(received, ['a/1', 'a/2']);
});

test('guards.maxRetainedTopicsPerClient: a retained publish on one topic too many is refused like a forbidden one, counted', async (t) => {
  const server = await startTestApp(securedConfig({ guards: { maxRetainedTopicsPerClient: 2 } }));
  t.after(() => server.close());
  const device = await connect(server.mqttUrl, { clientId: 'd1', password: await deviceToken('d1') });
  t.after(() => device.endAsync(true));
  await device.publishAsync('devices/d1/replies/a', 'a1', { qos: 1, retain: true });
  await device.publishAsync('devices/d1/replies/b', 'b1', { qos: 1, retain: true });
  await device.publishAsync('devices/d1/replies/c', 'c1', { qos: 1, retain: true });
  await device.publishAsync('devices/d1/replies/a', 'a2', { qos: 1, retain: true });
  assert.equal(await refusalCount(server.httpUrl, 'retained-topics-per-client'), 1);
  assert.equal(device.connected, true, 'the client stays connected');
  // clearing one of its topics frees a place
  await device.publishAsync('devices/d1/replies/b', '', { qos: 1, retain: true });
  await device.publishAsync('devices/d1/replies/d', 'd1', { qos: 1, retain: true });

  const reader = await connect(server.mqttUrl, { clientId: 'root-1', password: await signToken({ sub: 'root', role: 'admin' }) });
  t.after(() => reader.endAsync(true));
  const retained: string[] = [];
  let marker = false;
  reader.on('message', (topic, payload, packet) => (packet.retain ? retained.push(`${topic} ${payload.toString()}`) : (marker = true)));
  await reader.subscribeAsync('devices/d1/replies/#', { qos: 1 });
  await device.publishAsync('devices/d1/replies/marker', 'm', { qos: 1 });
  await waitFor(() => marker, 5000, 'the marker after the retained messages');
  assert.deepEqual(retained.sort(), ['devices/d1/replies/a a2', 'devices/d1/replies/d d1']);
  assert.equal(await refusalCount(server.httpUrl, 'retained-topics-per-client'), 1);
});
