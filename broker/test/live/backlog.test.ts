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
  const behind = log.join();
  const a = item('a');
  log.append(a);
  const upToDate = log.join();
  for (const t of ['b', 'c', 'd', 'e']) log.append(item(t));
  assert.equal(log.pending(behind), 5);
  assert.deepEqual(topics(log.read(upToDate).items), ['c', 'd', 'e']);
  assert.deepEqual(log.read(upToDate).lost, noDrops(), 'it had read them: it lost nothing');
  const read = log.read(behind);
  assert.deepEqual(topics(read.items), ['c', 'd', 'e']);
  assert.deepEqual(read.lost, { budget: 0, 'session-queue-full': 2 });
  assert.equal(budget.usedBytes, 300);
  log.compact();
  assert.equal(budget.usedBytes, 0, 'what every reader has read is let go of');
  assert.equal(budget.peakBytes, 300);
});

test('a log keeps its newest messages within its byte bound; a message larger than the bound is never held', () => {
  const budget = createByteBudget(1_000_000);
  const log = createBacklog({ maxMessages: 1000, maxBytes: 250, budget }).open();
  const reader = log.join();
  for (const t of ['a', 'b', 'c']) log.append(item(t));
  assert.equal(log.bytes, 200);
  log.append(item('huge', 251));
  log.append(item('d', 50));
  assert.equal(log.bytes, 250);
  const read = log.read(reader);
  assert.deepEqual(topics(read.items), ['b', 'c', 'd']);
  assert.deepEqual(read.lost, { budget: 0, 'session-queue-full': 2 });
  assert.equal(log.bytes, 0, 'its only reader read them');
});

test('over the shared budget the readers that read longest ago lose first; a reader that keeps reading loses nothing', () => {
  const budget = createByteBudget(64 * 100);
  const backlog = createBacklog({ maxMessages: 1000, maxBytes: 1_000_000, budget });
  // One log read by an abandoned session and a live one, one read only by an abandoned session,
  // and one whose abandoned reader joined last. The live reader reads every 30 messages, more
  // than a third of what the budget holds: a share per log would cost it messages.
  const shared = backlog.open();
  const other = backlog.open();
  const abandonedInShared = shared.join();
  const abandonedElsewhere = other.join();
  const live = shared.join();
  const late = backlog.open();
  const lateReader = late.join();
  let received = 0;
  for (let i = 0; i < 1200; i++) {
    for (const log of [shared, other, late]) log.append(item(`m${i}`));
    if (i % 30 === 29) {
      const read = shared.read(live);
      assert.deepEqual(read.lost, noDrops(), `the live reader lost nothing by message ${i}`);
      received += read.items.length;
    }
    assert.ok(budget.usedBytes <= budget.limitBytes);
  }
  assert.equal(received, 1200);
  for (const [name, log, cursor] of [['shared', shared, abandonedInShared], ['other', other, abandonedElsewhere], ['late', late, lateReader]] as const) {
    const read = log.read(cursor);
    assert.ok(read.lost.budget > 0, `${name}: the abandoned reader lost messages to the budget`);
    assert.equal(read.items.length + read.lost.budget, 1200, `${name}: what it did not get is counted`);
  }
});

test('a message that fits nowhere is lost to the budget, counted for the readers that missed it', () => {
  const budget = createByteBudget(150);
  const log = createBacklog({ maxMessages: 1000, maxBytes: 10_000, budget }).open();
  const reader = log.join();
  assert.ok(budget.take(100), 'an SSE stream holds most of the budget');
  log.append(item('a'));
  assert.deepEqual(log.read(reader), { items: [], lost: { budget: 1, 'session-queue-full': 0 } });
  assert.deepEqual(log.read(reader).lost, noDrops(), 'told once');
  budget.release(100);
  log.append(item('b'));
  assert.deepEqual(topics(log.read(reader).items), ['b']);
});

test('closing a log gives its bytes back; a long-lived log stays within its bounds as it turns over', () => {
  const budget = createByteBudget(1_000_000);
  const backlog = createBacklog({ maxMessages: 10, maxBytes: 1_000_000, budget });
  const log = backlog.open();
  const reader = log.join();
  const idle = log.join();
  for (let i = 0; i < 10_000; i++) {
    log.append(item(`t${i}`));
    if (i % 7 === 0) {
      assert.equal(log.read(reader).items.at(-1)?.message.topic, `t${i}`);
      log.compact();
    }
  }
  assert.ok(budget.usedBytes <= 1000);
  assert.equal(log.pending(idle), 10_000);
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
