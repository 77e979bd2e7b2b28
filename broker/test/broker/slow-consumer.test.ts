// Slow-consumer policy: QoS 0 beyond guards.maxClientQueueBytes is dropped and counted; QoS 1 is
// never dropped: guards.maxClientInflight unacknowledged messages are sent, more wait in a queue, a
// full queue slows its publishers, and a subscriber that acknowledges nothing for
// guards.stalledClientTimeoutMs is disconnected, counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../../../test/support/app.ts';
import { fetchMetric } from '../../../test/support/metrics.ts';
import { waitFor } from '../../../test/support/net.ts';
import { connectPacket, connectRaw } from '../../../test/support/raw-mqtt.ts';

const dropped = (httpUrl: string, reason: string) => fetchMetric(httpUrl, 'telemq_messages_dropped_total', { reason });

test('QoS 1: a subscriber that stops acknowledging gets its window, slows its publisher, and is cut off when stalled', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, guards: { maxClientInflight: 5, maxClientQueuedQos1Bytes: 1024, stalledClientTimeoutMs: 500 } });
  t.after(() => server.close());
  const watcher = await mqtt.connectAsync(server.wsUrl, { clientId: 'watcher', reconnectPeriod: 0 });
  t.after(() => watcher.endAsync());
  const seen: string[] = [];
  watcher.on('message', (_topic, payload) => seen.push(payload.toString()));
  await watcher.subscribeAsync('q1/#', { qos: 1 });
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  raw.send(connectPacket({ clientId: 'never-acks' }));
  await raw.next('connack');
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q1/#', qos: 1 }] });
  await raw.next('suback');

  const publisher = await mqtt.connectAsync(server.mqttUrl, { clientId: 'q1-pub', reconnectPeriod: 0 });
  t.after(() => publisher.endAsync());
  const payload = (i: number) => `m${i}-`.padEnd(600, 'x');
  // 5 fill the window, m5 waits in the queue, m6 fills it (1,200 bytes): the publisher is held
  for (let i = 0; i < 7; i++) await publisher.publishAsync('q1/x', payload(i), { qos: 1 });
  await waitFor(async () => (await fetchMetric(server.httpUrl, 'telemq_publishes_held_total')) === 1, 5000, 'the publisher held');
  // not read from the held publisher's socket, so acknowledged only once the stalled subscriber is gone
  await publisher.publishAsync('q1/x', payload(7), { qos: 1 });
  assert.equal(await dropped(server.httpUrl, 'stalled-consumer'), 1, 'm7 acknowledged after the stalled subscriber was cut off');
  await raw.closed;
  assert.deepEqual(raw.packets.filter((p) => p.cmd === 'publish').map((p) => (p as { messageId?: number }).messageId !== undefined), [true, true, true, true, true]);
  // the publisher continues; the other subscriber got everything, in order
  for (let i = 8; i < 12; i++) await publisher.publishAsync('q1/x', payload(i), { qos: 1 });
  await waitFor(() => seen.length === 12, 5000, '12 messages at the watcher');
  assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => payload(i)));
  assert.equal(await dropped(server.httpUrl, 'session-ended'), 2, 'the clean session ended with m5 and m6 queued');
});

test('QoS 1: a persistent session cut off as stalled gets what was in flight and queued on reconnect, in order', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, guards: { maxClientInflight: 3, stalledClientTimeoutMs: 300 } });
  t.after(() => server.close());
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  raw.send(connectPacket({ clientId: 'durable', clean: false }));
  await raw.next('connack');
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'p1/#', qos: 1 }] });
  await raw.next('suback');
  const publisher = await mqtt.connectAsync(server.mqttUrl, { clientId: 'p1-pub', reconnectPeriod: 0 });
  t.after(() => publisher.endAsync());
  for (let i = 0; i < 10; i++) await publisher.publishAsync('p1/x', `m${i}`, { qos: 1 });
  await raw.closed;
  assert.equal(raw.packets.filter((p) => p.cmd === 'publish').length, 3);
  assert.equal(await dropped(server.httpUrl, 'stalled-consumer'), 1);

  const back = mqtt.connect(server.wsUrl, { clientId: 'durable', clean: false, reconnectPeriod: 0 });
  t.after(() => back.endAsync());
  const received: string[] = [];
  back.on('message', (_topic, payload) => received.push(payload.toString()));
  await waitFor(() => received.length >= 10, 5000, '10 messages after reconnecting');
  assert.deepEqual(received, Array.from({ length: 10 }, (_, i) => `m${i}`));
  assert.equal(await dropped(server.httpUrl, 'session-ended'), 0);
});

test('QoS 1: a subscriber that acknowledges is never cut off', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, guards: { maxClientInflight: 5 } });
  t.after(() => server.close());
  const sub = await mqtt.connectAsync(server.wsUrl, { clientId: 'acks', reconnectPeriod: 0 });
  t.after(() => sub.endAsync());
  let received = 0;
  sub.on('message', () => received++);
  await sub.subscribeAsync('q1/#', { qos: 1 });
  const publisher = await mqtt.connectAsync(server.mqttUrl, { clientId: 'q1-pub', reconnectPeriod: 0 });
  t.after(() => publisher.endAsync());
  // 50 messages, 10 times the bound, but never more than a few unacknowledged at once
  for (let i = 0; i < 50; i++) {
    await publisher.publishAsync('q1/x', `m${i}`, { qos: 1 });
    await waitFor(() => received > i - 2, 5000, 'the subscriber keeping up');
  }
  await waitFor(() => received === 50, 5000, '50 messages').catch((err: Error) => { throw new Error(`${err.message}: got ${received}, connected ${sub.connected}`); });
  assert.equal(sub.connected, true);
  assert.equal(await dropped(server.httpUrl, 'stalled-consumer'), 0);
});

test('QoS 1: a client subscribed to its own topic is never held by its own full queue', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, guards: { maxClientInflight: 5, maxClientQueuedQos1Bytes: 1024, stalledClientTimeoutMs: 2000 } });
  t.after(() => server.close());
  const client = await mqtt.connectAsync(server.mqttUrl, { clientId: 'echo', reconnectPeriod: 0 });
  t.after(() => client.endAsync());
  const received: string[] = [];
  client.on('message', (_topic, payload) => received.push(payload.toString().slice(0, 4)));
  await client.subscribeAsync('echo/#', { qos: 1 });
  const sent = Array.from({ length: 40 }, (_, i) => `e${String(i).padStart(3, '0')}`);
  // all 40 at once: 24 KB for a 1 KiB queue, and the subscriber's PUBACKs share the publisher's socket
  await Promise.all(sent.map((m) => client.publishAsync('echo/x', m.padEnd(600, 'x'), { qos: 1 })));
  await waitFor(() => received.length === sent.length, 10_000, `${sent.length} messages back`);
  assert.deepEqual(received, sent);
  assert.equal(await fetchMetric(server.httpUrl, 'telemq_publishes_held_total'), 0);
  assert.equal(await dropped(server.httpUrl, 'stalled-consumer'), 0);
});

test('QoS 0: a subscriber that stops reading has the excess dropped and counted, and stays connected', async (t) => {
  // the per-client publish rate guard is off, so the publisher can outrun the stalled reader
  const server = await startTestApp({ auth: { mode: 'none' }, guards: { maxClientQueueBytes: 64 * 1024, publishRatePerSec: 0 } });
  t.after(() => server.close());
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  raw.send(connectPacket({ clientId: 'stops-reading' }));
  await raw.next('connack');
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q0/#', qos: 0 }] });
  await raw.next('suback');
  raw.socket.pause();

  const publisher = await mqtt.connectAsync(server.mqttUrl, { clientId: 'q0-pub', reconnectPeriod: 0 });
  t.after(() => publisher.endAsync());
  const payload = Buffer.alloc(8 * 1024, 0x61);
  // about 200 MB offered in total: far beyond the kernel's socket buffers and the queue bound
  for (let i = 0; i < 25_000; i++) {
    publisher.publish('q0/x', payload, { qos: 0 });
    if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    if (i % 2000 === 0 && (await dropped(server.httpUrl, 'slow-consumer-qos0')) > 0) break;
  }
  await waitFor(async () => (await dropped(server.httpUrl, 'slow-consumer-qos0')) > 0, 10_000, 'a counted drop');
  assert.equal(raw.isClosed(), false, 'QoS 0 drops do not disconnect');
});
