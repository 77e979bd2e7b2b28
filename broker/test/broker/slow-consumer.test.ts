// Slow-consumer policy: QoS 0 beyond guards.maxClientQueueBytes is dropped, QoS 1 is kept up to
// guards.maxClientInflight unacknowledged messages, then the subscriber is disconnected; both counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';
import { connectPacket, connectRaw } from '../../../test/support/raw-mqtt.ts';

async function dropped(httpUrl: string, reason: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  return Number(new RegExp(`telemq_messages_dropped_total\\{reason="${reason}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

test('QoS 1: a subscriber that never acknowledges is disconnected after maxClientInflight messages', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, guards: { maxClientInflight: 5 } });
  t.after(() => server.close());
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  raw.send(connectPacket({ clientId: 'never-acks' }));
  await raw.next('connack');
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q1/#', qos: 1 }] });
  await raw.next('suback');

  const publisher = await mqtt.connectAsync(server.mqttUrl, { clientId: 'q1-pub', reconnectPeriod: 0 });
  t.after(() => publisher.endAsync());
  for (let i = 0; i < 10; i++) await publisher.publishAsync('q1/x', `m${i}`, { qos: 1 });
  await raw.closed;
  assert.equal(raw.packets.filter((p) => p.cmd === 'publish').length, 5);
  assert.equal(await dropped(server.httpUrl, 'slow-consumer-disconnect'), 1);
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
  assert.equal(await dropped(server.httpUrl, 'slow-consumer-disconnect'), 0);
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
