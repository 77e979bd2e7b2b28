// The fan-out over a fake broker (the real one is in live-budget.test.ts): what a message costs
// per polling session that is not waiting, overlapping filters, and letting go of unused filters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PublishedMessage } from '../../src/broker/types.ts';
import { topicMatches } from '../../src/contract/index.ts';
import { createBacklog } from '../../src/live/backlog.ts';
import { createFanout, wireBytes, type LiveItem } from '../../src/live/fanout.ts';
import { createByteBudget } from '../../src/live/queue.ts';

/** Routes like aedes: each matching subscription gets its own message object around the same payload. */
function fakeBroker() {
  const subs = new Set<{ filter: string; onMessage: (m: PublishedMessage) => void }>();
  return {
    subs,
    async subscribe(filter: string, onMessage: (m: PublishedMessage) => void) {
      const sub = { filter, onMessage };
      subs.add(sub);
      return async () => void subs.delete(sub);
    },
    publish(topic: string, text: string) {
      const payload = Buffer.from(text);
      for (const s of subs) if (topicMatches(s.filter, topic)) s.onMessage({ topic, payload, qos: 0, retain: false });
    },
  };
}

function setup() {
  const broker = fakeBroker();
  const budget = createByteBudget(1_000_000);
  const fanout = createFanout(broker, createBacklog({ maxMessages: 100, maxBytes: 100_000, budget }));
  return { broker, budget, fanout };
}
const texts = (items: LiveItem[]) => items.map((i) => i.message.payload.toString());

test('a message is held once for any number of sessions between requests; only a waiting one is handed it', async () => {
  const { broker, budget, fanout } = setup();
  const readers = Array.from({ length: 1000 }, () => fanout.reader());
  await Promise.all(readers.map((r) => r.set(['devices/+/telemetry'])));
  const handed: string[] = [];
  readers[0]!.watch((item) => handed.push(item.message.payload.toString()));
  broker.publish('devices/d1/telemetry', '{"n":1}');
  assert.equal(budget.usedBytes, wireBytes({ topic: 'devices/d1/telemetry', payload: Buffer.from('{"n":1}'), qos: 0, retain: false }), 'one copy for 1,000 sessions');
  assert.deepEqual(handed, ['{"n":1}']);
  readers[0]!.unwatch();
  broker.publish('devices/d1/telemetry', '{"n":2}');
  assert.deepEqual(handed, ['{"n":1}'], 'not waiting: nothing handed');
  assert.equal(readers[1]!.pending(), 2);
  for (const r of readers) assert.deepEqual(texts(r.take().items), ['{"n":1}', '{"n":2}']);
  assert.equal(readers[1]!.pending(), 0);
  fanout.compact();
  assert.equal(budget.usedBytes, 0, 'let go of once every session read it');
});

test('a session with overlapping filters gets each message once, in the order it arrived', async () => {
  const { broker, fanout } = setup();
  const reader = fanout.reader();
  await reader.set(['devices/#', 'devices/+/telemetry', 'devices/d2/status']);
  broker.publish('devices/d1/telemetry', 'a');
  broker.publish('devices/d2/status', 'b');
  broker.publish('devices/d1/telemetry', 'c');
  broker.publish('other/topic', 'x');
  assert.deepEqual(texts(reader.take().items), ['a', 'b', 'c']);
  const stream: string[] = [];
  const sse = fanout.subscribe((item) => stream.push(item.message.payload.toString()));
  await sse.set(['devices/#', 'devices/+/telemetry']);
  broker.publish('devices/d1/telemetry', 'd');
  assert.deepEqual(stream, ['d']);
});

test('a filter nobody reads or streams any more is unsubscribed and its log given back', async () => {
  const { broker, budget, fanout } = setup();
  const reader = fanout.reader();
  const stream = fanout.subscribe(() => {});
  await reader.set(['a/#', 'b/#']);
  await stream.set(['a/#']);
  broker.publish('a/1', 'held');
  broker.publish('b/1', 'held');
  assert.equal(fanout.filterCount(), 2);
  await reader.set(['a/#']);
  assert.equal(fanout.filterCount(), 1);
  await reader.close();
  assert.equal(budget.usedBytes, 0, 'the stream alone keeps no log');
  assert.equal(fanout.filterCount(), 1);
  await stream.close();
  assert.equal(fanout.filterCount(), 0);
  assert.equal(broker.subs.size, 0);
});
