import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveItem } from '../../src/live/fanout.ts';
import { wireBytes } from '../../src/live/fanout.ts';
import { createByteBudget, createSessionQueue } from '../../src/live/queue.ts';

/** A message of `bytes` wire bytes, named by its topic. */
function item(topic: string, bytes = 100): LiveItem {
  const message = { topic, payload: Buffer.alloc(0), qos: 0 as const, retain: false };
  return { message, bytes, wire: () => ({ topic, payload: '', retain: false }), json: () => '{}' };
}
const topics = (items: LiveItem[]) => items.map((i) => i.message.topic);

test('wire bytes: base64 of the payload plus the topic and the JSON around them', () => {
  const message = { topic: 'devices/d1/telemetry', payload: Buffer.from('{"temp":21.5}'), qos: 0 as const, retain: false };
  const json = JSON.stringify({ topic: message.topic, payload: message.payload.toString('base64'), retain: false });
  assert.equal(wireBytes(message), json.length);
});

test('a session queue keeps its newest messages within its message bound', () => {
  const budget = createByteBudget(1_000_000);
  const q = createSessionQueue({ maxMessages: 3, maxBytes: 1_000_000, budget });
  for (const t of ['a', 'b', 'c', 'd', 'e']) q.push(item(t));
  const { items, dropped } = q.take();
  assert.deepEqual(topics(items), ['c', 'd', 'e']);
  assert.deepEqual(dropped, { budget: 0, 'session-queue-full': 2 });
  assert.equal(budget.usedBytes, 0, 'taking releases the bytes');
  assert.equal(budget.peakBytes, 300);
});

test('a session queue keeps its newest messages within its byte bound; a message larger than the bound is dropped', () => {
  const budget = createByteBudget(1_000_000);
  const q = createSessionQueue({ maxMessages: 1000, maxBytes: 250, budget });
  for (const t of ['a', 'b', 'c']) q.push(item(t));
  assert.equal(q.bytes, 200);
  q.push(item('huge', 251));
  assert.equal(q.length, 2);
  const { items, dropped } = q.take();
  assert.deepEqual(topics(items), ['b', 'c']);
  assert.deepEqual(dropped, { budget: 0, 'session-queue-full': 2 });
});

test('over the shared budget the session collected longest ago gives up its oldest, so a client that keeps up still gets its messages', () => {
  let nowMs = 0;
  const now = () => nowMs;
  const budget = createByteBudget(300);
  const abandoned = createSessionQueue({ maxMessages: 1000, maxBytes: 10_000, budget, now });
  nowMs = 10;
  const live = createSessionQueue({ maxMessages: 1000, maxBytes: 10_000, budget, now });
  for (const t of ['a', 'b', 'c']) abandoned.push(item(t));
  for (const t of ['x', 'y']) live.push(item(t));
  assert.equal(budget.usedBytes, 300);
  nowMs = 20;
  assert.deepEqual(topics(live.take().items), ['x', 'y'], 'the live session got its messages');
  // The abandoned session pushing again has nobody collected longer ago: it drops its own oldest.
  for (const t of ['d', 'e']) abandoned.push(item(t));
  live.push(item('z'));
  assert.equal(budget.usedBytes, 300);
  assert.deepEqual(topics(abandoned.take().items), ['d', 'e']);
  assert.deepEqual(topics(live.take().items), ['z']);
  assert.equal(budget.peakBytes, 300, 'never over the budget');
});

test('over the shared budget two sessions collected at the same time each make room from their own oldest', () => {
  const budget = createByteBudget(200);
  const one = createSessionQueue({ maxMessages: 1000, maxBytes: 10_000, budget, now: () => 5 });
  const two = createSessionQueue({ maxMessages: 1000, maxBytes: 10_000, budget, now: () => 5 });
  one.push(item('a'));
  two.push(item('b'));
  one.push(item('c'));
  two.push(item('d'));
  assert.deepEqual(topics(one.take().items), ['c']);
  assert.deepEqual(two.take().dropped, { budget: 1, 'session-queue-full': 0 });
});

test('a message that fits nowhere is dropped against the budget', () => {
  const budget = createByteBudget(100);
  const q = createSessionQueue({ maxMessages: 1000, maxBytes: 10_000, budget });
  assert.ok(budget.take(100));
  q.push(item('x'));
  assert.equal(q.length, 0);
  assert.deepEqual(q.take().dropped, { budget: 1, 'session-queue-full': 0 });
});

test('clearing counts held and dropped messages as never collected; retain keeps what still matches', () => {
  const budget = createByteBudget(1_000_000);
  const q = createSessionQueue({ maxMessages: 2, maxBytes: 10_000, budget });
  for (const t of ['a', 'b', 'c']) q.push(item(t));
  assert.equal(q.clear(), 3);
  assert.equal(budget.usedBytes, 0);
  for (const t of ['keep/1', 'drop/1']) q.push(item(t));
  q.retain((i) => i.message.topic.startsWith('keep/'));
  assert.equal(budget.usedBytes, 100);
  assert.deepEqual(topics(q.take().items), ['keep/1']);
});

test('a long-lived queue stays compact as it shifts', () => {
  const budget = createByteBudget(1_000_000);
  const q = createSessionQueue({ maxMessages: 10, maxBytes: 1_000_000, budget });
  for (let i = 0; i < 10_000; i++) q.push(item(String(i), 1));
  assert.equal(q.length, 10);
  assert.equal(budget.usedBytes, 10);
  assert.deepEqual(topics(q.take().items), ['9990', '9991', '9992', '9993', '9994', '9995', '9996', '9997', '9998', '9999']);
});
