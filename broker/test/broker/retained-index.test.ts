// Retained messages in a topic tree: a SUBSCRIBE walks the filter's levels instead of testing every
// retained topic (one retained status per device made a fleet's connects cost O(n²)).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { createMemoryPersistence, createRetainedIndex, type RetainedIndex, type RetainedPacket } from '../../src/broker/retained-index.ts';
import { startTestApp } from '../../../test/support/app.ts';
import { mosquittoPub } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';

const packet = (topic: string, payload = 'x'): RetainedPacket => ({ topic, payload: Buffer.from(payload) });
const topicsOf = (index: RetainedIndex, filter: string) => [...index.match(filter)].map((p) => p.topic).sort();

test('filters match retained topics level by level, with + and # as in MQTT', () => {
  const index = createRetainedIndex();
  for (const topic of ['a', 'a/b', 'a/b/c', 'a/x/c', 'a//c', 'b/b/c', '$SYS/broker/clients']) index.store(packet(topic));
  assert.deepEqual(topicsOf(index, 'a/b'), ['a/b']);
  assert.deepEqual(topicsOf(index, 'a/+/c'), ['a//c', 'a/b/c', 'a/x/c']);
  assert.deepEqual(topicsOf(index, 'a/#'), ['a', 'a//c', 'a/b', 'a/b/c', 'a/x/c']);
  assert.deepEqual(topicsOf(index, '+/b/c'), ['a/b/c', 'b/b/c']);
  assert.deepEqual(topicsOf(index, '$SYS/#'), ['$SYS/broker/clients']);
  assert.deepEqual(topicsOf(index, 'a/b/c/d'), []);
  assert.deepEqual(topicsOf(index, 'c/#'), []);
  assert.equal(index.size(), 7);
});

test('an empty payload deletes the retained message and prunes its branch; a new one replaces the old', () => {
  const index = createRetainedIndex();
  index.store(packet('devices/d1/status', 'online'));
  index.store(packet('devices/d1/status', 'offline'));
  assert.deepEqual([...index.match('devices/d1/status')].map((p) => p.payload.toString()), ['offline']);
  assert.equal(index.size(), 1);
  index.store(packet('devices/d1/status', ''));
  index.store(packet('devices/nothing/here', ''));
  assert.equal(index.size(), 0);
  assert.deepEqual(topicsOf(index, '#'), []);
});

test('a device-specific filter finds its own retained status among thousands', () => {
  const index = createRetainedIndex();
  for (let i = 0; i < 5000; i++) index.store(packet(`devices/sim-${i}/status`, 'online'));
  assert.deepEqual(topicsOf(index, 'devices/sim-42/#'), ['devices/sim-42/status']);
  assert.deepEqual(topicsOf(index, 'devices/sim-42/commands/#'), []);
  assert.equal(topicsOf(index, 'devices/+/status').length, 5000);
});

test('the index counts the retained topics each client published last, and forgets a topic when its message is cleared or taken over', () => {
  const index = createRetainedIndex();
  const owned = (clientId: string, topic: string, payload = 'x'): RetainedPacket => ({ ...packet(topic, payload), clientId });
  index.store(owned('d1', 'devices/d1/replies/a'));
  index.store(owned('d1', 'devices/d1/replies/b'));
  index.store(owned('d1', 'devices/d1/replies/a', 'again'));
  assert.equal(index.ownedBy('d1'), 2);
  index.store(owned('admin', 'devices/d1/replies/b'));
  assert.deepEqual([index.ownedBy('d1'), index.ownedBy('admin')], [1, 1]);
  index.store(owned('d1', 'devices/d1/replies/a', ''));
  assert.deepEqual([index.ownedBy('d1'), index.get('devices/d1/replies/a')], [0, undefined]);
  assert.equal(index.get('devices/d1/replies/b')?.clientId, 'admin');
});

test("the broker's memory persistence stores and looks up retained messages through the index", async () => {
  const calls: string[] = [];
  const inner = createRetainedIndex();
  const spy: RetainedIndex = {
    ...inner,
    store: (p) => (calls.push(`store ${p.topic}`), inner.store(p)),
    match: (filter) => (calls.push(`match ${filter}`), inner.match(filter)),
  };
  const persistence = createMemoryPersistence(spy) as {
    storeRetained(p: RetainedPacket): Promise<void>;
    createRetainedStreamCombi(patterns: string[]): AsyncIterable<RetainedPacket>;
  };
  await persistence.storeRetained(packet('devices/d1/status', 'online'));
  const found: string[] = [];
  for await (const p of persistence.createRetainedStreamCombi(['devices/d1/#', 'devices/d2/#'])) found.push(p.topic);
  assert.deepEqual(found, ['devices/d1/status']);
  assert.deepEqual(calls, ['store devices/d1/status', 'match devices/d1/#', 'match devices/d2/#']);
});

test('retained messages reach new subscribers through a real broker, and an empty retained message clears them', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/status', 'online', { qos: 1, retain: true });
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d2/status', 'offline', { qos: 1, retain: true });

  const received: string[] = [];
  const client = await mqtt.connectAsync(server.mqttUrl, { clientId: 'retained-reader', reconnectPeriod: 0 });
  t.after(() => client.endAsync());
  client.on('message', (topic, payload, p) => received.push(`${topic} ${payload.toString()} ${p.retain}`));
  await client.subscribeAsync(['devices/+/status', 'devices/d1/commands/#'], { qos: 1 });
  await waitFor(() => received.length === 2, 5000, 'two retained statuses');
  assert.deepEqual(received.sort(), ['devices/d1/status online true', 'devices/d2/status offline true']);

  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/status', '', { qos: 1, retain: true });
  // the empty message itself reaches current subscribers, as a live (not retained) message
  await waitFor(() => received.includes('devices/d1/status  false'), 5000, 'the empty status');
  received.length = 0;
  await client.unsubscribeAsync('devices/+/status');
  await client.subscribeAsync('devices/+/status', { qos: 1 });
  await waitFor(() => received.length === 1, 5000, 'one retained status left');
  assert.deepEqual(received, ['devices/d2/status offline true']);
});

test('a filter starting with a wildcard never matches a $ topic [MQTT-4.7.2-1]', () => {
  const index = createRetainedIndex();
  for (const topic of ['$SYS/broker/uptime', '$telemq/deadletter/no-rule', 'devices/d1/status', 'a']) index.store(packet(topic));
  assert.deepEqual(topicsOf(index, '#'), ['a', 'devices/d1/status']);
  assert.deepEqual(topicsOf(index, '+/broker/uptime'), []);
  assert.deepEqual(topicsOf(index, '+'), ['a']);
  assert.deepEqual(topicsOf(index, '$SYS/+/uptime'), ['$SYS/broker/uptime']);
  assert.deepEqual(topicsOf(index, 'devices/#'), ['devices/d1/status']);
});
