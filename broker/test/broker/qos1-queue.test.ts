// One subscriber's QoS >= 1 flow, driven with plain functions: the window, the FIFO behind it, the
// held routing callbacks, and what closing releases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createQos1Queue, queuedOverheadBytes } from '../../src/broker/qos1-queue.ts';
import { createBrokerStats } from '../../src/broker/stats.ts';
import type { RoutedPacket } from '../../src/broker/aedes/internals.ts';

// one-byte topic + 99-byte payload + the per-message overhead: 100 + queuedOverheadBytes bytes each
const packet = (n: number): RoutedPacket => ({ topic: 't', payload: Buffer.alloc(99), qos: 1, retain: false, brokerCounter: n });
const size = 100 + queuedOverheadBytes;
const tick = () => new Promise<void>((resolve) => process.nextTick(resolve));

function setup(options: { persistent?: boolean } = {}) {
  const stats = createBrokerStats();
  const sent: number[] = [];
  const busy: boolean[] = [];
  let cutOffs = 0;
  // window 2; the queue is full with its third message
  const queue = createQos1Queue({
    limits: { maxClientInflight: 2, maxClientQueuedQos1Bytes: 2 * size + 144 },
    stats,
    isPersistent: () => options.persistent ?? false,
    send: (p) => sent.push(p.brokerCounter!),
    onBusy: (isBusy) => busy.push(isBusy),
    cutOff: () => cutOffs++,
  });
  return { queue, stats, sent, busy, cutOffs: () => cutOffs };
}

test('the window is sent at once, the rest waits in order; routing callbacks are held only while the queue is full', async () => {
  const { queue, stats, sent, busy } = setup();
  const routed: number[] = [];
  for (let n = 1; n <= 6; n++) queue.push(packet(n), () => routed.push(n), true);
  assert.deepEqual(sent, [1, 2]);
  // 3 and 4 queued (2 sizes, under the bound); 5 makes 3 sizes, over it: held, and so is 6
  assert.deepEqual(routed, [1, 2, 3, 4]);
  assert.equal(stats.qos1Queued, 4);
  assert.equal(stats.publishesHeld, 2);
  assert.deepEqual(busy, [true]);

  queue.acknowledged();
  queue.acknowledged();
  assert.deepEqual(sent, [1, 2], 'the window refills once per tick of acknowledgements');
  await tick();
  assert.deepEqual(sent, [1, 2, 3, 4]);
  // 5 and 6 left: 2 sizes, under the bound: both held callbacks released
  assert.deepEqual(routed, [1, 2, 3, 4, 5, 6]);
  for (let i = 0; i < 4; i++) {
    queue.acknowledged();
    await tick();
  }
  assert.deepEqual(sent, [1, 2, 3, 4, 5, 6]);
  assert.equal(stats.qos1Queued, 0);
  assert.deepEqual([busy.at(-1), busy.filter((b) => !b).length], [false, 1], 'idle once, when nothing is in flight or queued');
});

test('a PUBACK for a message not counted here (resent by aedes on reconnect) is ignored', () => {
  const { queue, sent } = setup();
  queue.acknowledged();
  queue.push(packet(1), () => {}, true);
  queue.push(packet(2), () => {}, true);
  queue.push(packet(3), () => {}, true);
  assert.deepEqual(sent, [1, 2], 'the window is still 2');
});

test('a client\'s own messages are never held', () => {
  const { queue, stats } = setup();
  const routed: number[] = [];
  for (let n = 1; n <= 8; n++) queue.push(packet(n), () => routed.push(n), false);
  assert.equal(routed.length, 8);
  assert.equal(stats.publishesHeld, 0);
});

test('stalledFor counts from the last acknowledgement while messages are in flight; cutOff runs once', async () => {
  const { queue, cutOffs } = setup();
  assert.equal(queue.stalledFor(Date.now() + 10_000), 0, 'nothing in flight: never stalled');
  queue.push(packet(1), () => {}, true);
  assert.ok(queue.stalledFor(Date.now() + 5000) >= 5000);
  queue.cutOff();
  queue.cutOff();
  assert.equal(cutOffs(), 1);
});

test('closing releases every held callback; a clean session counts what it still had queued, a persistent one does not', () => {
  for (const persistent of [false, true]) {
    const { queue, stats, busy } = setup({ persistent });
    const routed: number[] = [];
    for (let n = 1; n <= 6; n++) queue.push(packet(n), () => routed.push(n), true);
    queue.close();
    assert.deepEqual(routed, [1, 2, 3, 4, 5, 6]);
    assert.equal(stats.qos1Queued, 0);
    assert.equal(stats.drops['session-ended'], persistent ? 0 : 4);
    assert.equal(busy.at(-1), false);
    // after close, anything routed to it is released at once
    queue.push(packet(7), () => routed.push(7), true);
    assert.equal(routed.at(-1), 7);
  }
});
