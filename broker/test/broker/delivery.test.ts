// QoS 0 and 1, retained messages and last wills between clients we did not write:
// mosquitto_pub/mosquitto_sub over TCP and MQTT.js over WebSocket, in both directions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { mosquittoPub, mosquittoPubLines, mosquittoSub } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';
import { connectPacket, connectRaw } from '../../../test/support/raw-mqtt.ts';

let server: TestApp;
test.before(async () => {
  server = await startTestApp({ auth: { mode: 'none' } });
});
test.after(() => server.close());

async function wsClient(t: { after(fn: () => unknown): void }, clientId: string, options: mqtt.IClientOptions = {}) {
  // the handler is attached before CONNECT, so messages queued for a session are not missed
  const client = mqtt.connect(server.wsUrl, { clientId, reconnectPeriod: 0, ...options });
  t.after(() => client.endAsync(true));
  const received: Array<{ topic: string; payload: string; qos: number; retain: boolean }> = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
  await new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject));
  return { client, received };
}

for (const qos of [0, 1] as const) {
  test(`QoS ${qos}: mosquitto_pub (TCP) -> MQTT.js (WS), every message in order`, async (t) => {
    const { client, received } = await wsClient(t, `ws-sub-${qos}`);
    await client.subscribeAsync(`q${qos}/tcp-to-ws`, { qos });
    const lines = Array.from({ length: 50 }, (_, i) => `m${i}`);
    await mosquittoPubLines({ port: server.ports.mqtt }, `q${qos}/tcp-to-ws`, lines, qos);
    await waitFor(() => received.length === lines.length, 5000, `${lines.length} messages`);
    assert.deepEqual(received.map((m) => m.payload), lines);
    assert.ok(received.every((m) => m.qos === qos));
  });

  test(`QoS ${qos}: MQTT.js (WS) -> mosquitto_sub (TCP)`, async (t) => {
    const sub = await mosquittoSub({ port: server.ports.mqtt }, `q${qos}/ws-to-tcp`, { qos });
    t.after(() => sub.stop());
    const { client } = await wsClient(t, `ws-pub-${qos}`);
    for (let i = 0; i < 20; i++) await client.publishAsync(`q${qos}/ws-to-tcp`, `n${i}`, { qos });
    await waitFor(() => sub.lines.length === 20, 5000, '20 messages at mosquitto_sub');
    assert.deepEqual(sub.lines, Array.from({ length: 20 }, (_, i) => `q${qos}/ws-to-tcp n${i}`));
  });
}

test('retained: published by mosquitto_pub, delivered with RETAIN 1 to a later MQTT.js subscriber; cleared by an empty payload', async (t) => {
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/r1/status', 'online', { qos: 1, retain: true });
  const { client, received } = await wsClient(t, 'late-subscriber');
  await client.subscribeAsync('devices/r1/status', { qos: 1 });
  await waitFor(() => received.length === 1, 5000, 'the retained message');
  assert.deepEqual(received[0], { topic: 'devices/r1/status', payload: 'online', qos: 1, retain: true });

  // [MQTT-3.3.1-9]: a live subscriber gets RETAIN 0 for a message published while it is subscribed
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/r1/status', 'online-again', { qos: 1, retain: true });
  await waitFor(() => received.length === 2, 5000, 'the live message');
  assert.equal(received[1]!.retain, false);

  // [MQTT-3.3.1-10]: a zero-byte retained message clears it
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/r1/status', '', { qos: 1, retain: true });
  const sub = await mosquittoSub({ port: server.ports.mqtt }, 'devices/r1/status', { qos: 1 });
  t.after(() => sub.stop());
  // a retained message goes out right after the SUBACK; a live marker published after the SUBACK
  // arrived comes behind it, so once the marker is here a retained message would have been too
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/r1/status', 'marker', { qos: 1 });
  await waitFor(() => sub.lines.length > 0, 5000, 'the marker');
  assert.deepEqual(sub.lines, ['devices/r1/status marker']);
});

test('retained: published by MQTT.js over WS, read by mosquitto_sub over TCP', async (t) => {
  const { client } = await wsClient(t, 'retainer');
  await client.publishAsync('devices/r2/status', 'online', { qos: 1, retain: true });
  const sub = await mosquittoSub({ port: server.ports.mqtt }, 'devices/r2/status', { qos: 1, count: 1 });
  t.after(() => sub.stop());
  assert.equal(await sub.exited, 0);
  assert.deepEqual(sub.lines, ['devices/r2/status online']);
});

test('last will: an abrupt TCP disconnect publishes the will to WS subscribers; a clean DISCONNECT does not', async (t) => {
  const { client, received } = await wsClient(t, 'will-watcher');
  await client.subscribeAsync('devices/+/status', { qos: 1 });

  const abrupt = await connectRaw(server.ports.mqtt);
  abrupt.send(connectPacket({ clientId: 'dev-abrupt', will: { topic: 'devices/dev-abrupt/status', payload: Buffer.from('offline'), qos: 1, retain: false } }));
  await abrupt.next('connack');
  abrupt.destroy();
  await waitFor(() => received.some((m) => m.topic === 'devices/dev-abrupt/status' && m.payload === 'offline'), 5000, 'the will');

  const clean = await connectRaw(server.ports.mqtt);
  clean.send(connectPacket({ clientId: 'dev-clean', will: { topic: 'devices/dev-clean/status', payload: Buffer.from('offline'), qos: 1, retain: false } }));
  await clean.next('connack');
  clean.send({ cmd: 'disconnect' });
  await clean.closed;
  // a will is published when the broker closes the connection; a marker published after that is routed behind it
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/marker/status', 'after-clean', { qos: 1 });
  await waitFor(() => received.some((m) => m.topic === 'devices/marker/status'), 5000, 'the marker');
  assert.equal(received.filter((m) => m.topic === 'devices/dev-clean/status').length, 0, '[MQTT-3.1.2-10] will discarded on DISCONNECT');
});

test('last will: an abrupt WS disconnect (MQTT.js) reaches mosquitto_sub over TCP', async (t) => {
  const sub = await mosquittoSub({ port: server.ports.mqtt }, 'devices/ws-dev/status', { qos: 1 });
  t.after(() => sub.stop());
  const client = await mqtt.connectAsync(server.wsUrl, {
    clientId: 'ws-dev',
    reconnectPeriod: 0,
    will: { topic: 'devices/ws-dev/status', payload: Buffer.from('offline'), qos: 1, retain: false },
  });
  (client.stream as unknown as { destroy(): void }).destroy();
  client.end(true);
  await waitFor(() => sub.lines.includes('devices/ws-dev/status offline'), 5000, 'the will at mosquitto_sub');
});

test('QoS 1: a persistent session receives what was published while it was away', async (t) => {
  const first = await mqtt.connectAsync(server.wsUrl, { clientId: 'away', clean: false, reconnectPeriod: 0 });
  await first.subscribeAsync('away/#', { qos: 1 });
  await first.endAsync();
  await mosquittoPub({ port: server.ports.mqtt }, 'away/x', 'queued', { qos: 1 });
  const { client, received } = await wsClient(t, 'away', { clean: false });
  void client;
  await waitFor(() => received.some((m) => m.payload === 'queued'), 5000, 'the queued message');
});

test('[MQTT-3.3.5-1] retained messages go at the lower of their QoS and the granted QoS: 2,000 retained QoS 1 to a QoS 0 subscription', async (t) => {
  const own = await startTestApp({ auth: { mode: 'none' }, guards: { publishRatePerSec: 0, maxRetainedTopicsPerClient: 0 } });
  t.after(() => own.close());
  const publisher = await mqtt.connectAsync(own.mqttUrl, { clientId: 'retainer-many', reconnectPeriod: 0 });
  t.after(() => publisher.endAsync());
  const topics = Array.from({ length: 2000 }, (_, i) => `downgrade/${i}/status`);
  await Promise.all(topics.map((topic) => publisher.publishAsync(topic, 'online', { qos: 1, retain: true })));

  const subscriber = mqtt.connect(own.wsUrl, { clientId: 'qos0-sub', reconnectPeriod: 0 });
  t.after(() => subscriber.endAsync(true));
  const qos: number[] = [];
  subscriber.on('message', (_topic, _payload, packet) => qos.push(packet.qos));
  await new Promise((resolve) => subscriber.once('connect', resolve));
  // a wildcard filter (aedes only downgraded on a filter equal to the topic) and an exact one
  await subscriber.subscribeAsync({ 'downgrade/+/status': { qos: 0 } });
  await waitFor(() => qos.length === topics.length, 10_000, `${topics.length} retained messages`);
  await subscriber.subscribeAsync({ 'downgrade/7/status': { qos: 0 } });
  await waitFor(() => qos.length === topics.length + 1, 5000, 'the retained message again');
  assert.deepEqual(new Set(qos), new Set([0]), 'every one at QoS 0');
  assert.equal(subscriber.connected, true);

  // live: a QoS 2 message to a QoS 1 wildcard subscription arrives at QoS 1
  const live: number[] = [];
  const qos1 = await mqtt.connectAsync(own.mqttUrl, { clientId: 'qos1-sub', reconnectPeriod: 0 });
  t.after(() => qos1.endAsync(true));
  qos1.on('message', (topic, _payload, packet) => topic === 'downgrade/live' && live.push(packet.qos));
  await qos1.subscribeAsync({ 'downgrade/#': { qos: 1 } });
  await publisher.publishAsync('downgrade/live', 'x', { qos: 2 });
  await waitFor(() => live.length === 1, 5000, 'the live message');
  assert.deepEqual(live, [1]);
});
