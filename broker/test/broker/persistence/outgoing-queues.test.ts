// The session queue's bounds, in messages and in bytes, on the queue alone (its writes recorded).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOutgoingQueues } from '../../../src/broker/persistence/outgoing-queues.ts';
import type { SessionWrites } from '../../../src/broker/persistence/session-db.ts';

function recordingWrites(): { writes: SessionWrites; log: string[] } {
  const log: string[] = [];
  const writes = new Proxy({} as SessionWrites, { get: (_target, name) => (...args: unknown[]) => log.push(`${String(name)} ${String(args[0])}`) });
  return { writes, log };
}

const message = (i: number, bytes: number) => ({ cmd: 'publish', topic: 't', payload: Buffer.alloc(bytes, i), qos: 1, retain: false, brokerId: 'b', brokerCounter: i });

test('past maxBytes the oldest messages are dropped (and deleted from the file) until the queue fits; the newest is always kept', () => {
  const { writes, log } = recordingWrites();
  let dropped = 0;
  const queues = createOutgoingQueues(writes, { maxMessages: 1000, maxBytes: 1000 }, (n) => (dropped += n));
  for (let i = 1; i <= 5; i++) queues.enqueue('c1', message(i, 299)); // 300 bytes each with the topic
  assert.deepEqual(queues.snapshot('c1').map((p) => p.brokerCounter), [3, 4, 5]);
  assert.equal(dropped, 2);
  assert.deepEqual(log.filter((l) => l.startsWith('deleteOutgoing')), ['deleteOutgoing 1', 'deleteOutgoing 2']);
  queues.enqueue('c1', message(6, 5000));
  assert.deepEqual(queues.snapshot('c1').map((p) => p.brokerCounter), [6], 'a message larger than the bound replaces the queue');
  assert.equal(queues.drop('c1'), 1);
  assert.deepEqual(queues.snapshot('c1'), []);
});

test('a PUBREL takes its message\'s place and is written; a packet id update is not', () => {
  const { writes, log } = recordingWrites();
  const queues = createOutgoingQueues(writes, { maxMessages: 10, maxBytes: 1 << 20 }, () => {});
  queues.enqueue('c1', message(1, 10));
  queues.update('c1', { ...message(1, 10), messageId: 7 });
  assert.equal(log.filter((l) => l.startsWith('putOutgoing')).length, 1);
  queues.update('c1', { cmd: 'pubrel', messageId: 7 });
  assert.deepEqual(queues.snapshot('c1'), [{ cmd: 'pubrel', messageId: 7 }]);
  assert.equal(log.filter((l) => l.startsWith('putOutgoing')).length, 2);
  assert.deepEqual(queues.clear('c1', 7), { cmd: 'pubrel', messageId: 7 });
  assert.throws(() => queues.update('c1', { cmd: 'pubrel', messageId: 9 }), /no such packet/);
});
