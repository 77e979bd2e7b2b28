import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBacklog, newestWithin } from '../../src/live/backlog.ts';
import type { LiveItem } from '../../src/live/fanout.ts';
import { wireBytes } from '../../src/live/fanout.ts';
import { createByteBudget, noDrops } from '../../src/live/queue.ts';

let seq = 0;
/** A message of `bytes` wire bytes, named by its topic. */
function item(topic: string, bytes = 100): LiveItem {
  const message = { topic, payload: Buffer.alloc(0), qos: 0 as const, retain: false };
  return { seq: ++seq, message, bytes, wire: () => ({ topic, payload: '', retain: false }), json: () => '{}' };
}
const topics = (items: LiveItem[]) => items.map((i) => i.message.topic);

test('wire bytes: base64 of the payload plus the topic and the JSON around them', () => {
  const message = { topic: 'devices/d1/telemetry', payload: Buffer.from('{"temp":21.5}'), qos: 0 as const, retain: false };
  const json = JSON.stringify({ topic: message.topic, payload: message.payload.toString('base64'), retain: false });
  assert.equal(wireBytes(message), json.length);
});

test('a log keeps its newest messages within the message bound; a reader behind is told what it lost', () => {
  const budget = createByteBudget(1_000_000);
  const log = createBacklog({ maxMessages: 3, maxBytes: 1_000_000, budget }).open();
  const reader = log.end;
  for (const t of ['a', 'b', 'c', 'd', 'e']) log.append(item(t));
  assert.deepEqual(topics(log.readFrom(reader)), ['c', 'd', 'e']);
  assert.deepEqual(log.lostFrom(reader), { budget: 0, 'session-queue-full': 2 });
  assert.deepEqual(log.lostFrom(3), noDrops(), 'a reader that had read them lost nothing');
  assert.equal(log.pendingFrom(reader), 5);
  assert.equal(budget.usedBytes, 300);
  log.release(log.end);
  assert.equal(budget.usedBytes, 0, 'what every reader has read is let go of');
  assert.equal(budget.peakBytes, 300);
});

test('a log keeps its newest messages within its byte bound; a message larger than the bound is never held', () => {
  const budget = createByteBudget(1_000_000);
  const log = createBacklog({ maxMessages: 1000, maxBytes: 250, budget }).open();
  for (const t of ['a', 'b', 'c']) log.append(item(t));
  assert.equal(log.bytes, 200);
  log.append(item('huge', 251));
  log.append(item('d', 50));
  assert.deepEqual(topics(log.readFrom(0)), ['b', 'c', 'd']);
  assert.deepEqual(log.lostFrom(0), { budget: 0, 'session-queue-full': 2 });
  assert.deepEqual(log.lostFrom(4), noDrops());
  assert.equal(log.bytes, 250);
});

test('over the shared budget the oldest message of all logs goes first, so a log read as it fills keeps its new ones', () => {
  const budget = createByteBudget(300);
  const backlog = createBacklog({ maxMessages: 1000, maxBytes: 10_000, budget });
  const abandoned = backlog.open();
  const live = backlog.open();
  abandoned.append(item('old-1'));
  abandoned.append(item('old-2'));
  live.append(item('new-1'));
  live.append(item('new-2'));
  assert.deepEqual(topics(abandoned.readFrom(0)), ['old-2']);
  assert.deepEqual(abandoned.lostFrom(0), { budget: 1, 'session-queue-full': 0 });
  assert.deepEqual(topics(live.readFrom(0)), ['new-1', 'new-2']);
  live.release(live.end);
  live.append(item('new-3'));
  assert.deepEqual(topics(abandoned.readFrom(0)), ['old-2'], 'room made by what the live reader read');
  assert.ok(budget.usedBytes <= 300);
});

test('a message that fits nowhere is lost to the budget, counted for the readers that missed it', () => {
  const budget = createByteBudget(150);
  const log = createBacklog({ maxMessages: 1000, maxBytes: 10_000, budget }).open();
  assert.ok(budget.take(100), 'an SSE stream holds most of the budget');
  log.append(item('a'));
  assert.deepEqual(log.readFrom(0), []);
  assert.deepEqual(log.lostFrom(0), { budget: 1, 'session-queue-full': 0 });
  assert.deepEqual(log.lostFrom(log.end), noDrops());
  budget.release(100);
  log.append(item('b'));
  assert.deepEqual(topics(log.readFrom(0)), ['b']);
});

test('closing a log gives its bytes back; a long-lived log stays within its bounds as it turns over', () => {
  const budget = createByteBudget(1_000_000);
  const backlog = createBacklog({ maxMessages: 10, maxBytes: 1_000_000, budget });
  const log = backlog.open();
  let reader = 0;
  for (let i = 0; i < 10_000; i++) {
    log.append(item(`t${i}`));
    if (i % 7 === 0) {
      assert.equal(log.readFrom(reader).at(-1)?.message.topic, `t${i}`);
      reader = log.end;
      log.release(reader);
    }
  }
  assert.ok(budget.usedBytes <= 1000);
  log.close();
  assert.equal(budget.usedBytes, 0);
});

test('one answer keeps the newest messages within the session bounds, counting the older ones', () => {
  const lost = noDrops();
  const items = ['a', 'b', 'c', 'd'].map((t) => item(t));
  assert.deepEqual(topics(newestWithin(items, 3, 1000, lost)), ['b', 'c', 'd']);
  assert.deepEqual(topics(newestWithin(items, 10, 250, lost)), ['c', 'd']);
  assert.equal(lost['session-queue-full'], 3);
  assert.equal(newestWithin(items, 10, 1000, lost).length, 4);
});
