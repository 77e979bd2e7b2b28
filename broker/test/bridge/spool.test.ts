import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Batch } from '../../src/bridge/batcher.ts';
import { openSpool } from '../../src/bridge/spool.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';

function batch(first: number, count: number): Batch {
  const points = Array.from({ length: count }, (_, i) => ({ measurement: 'telemetry', tags: { device_id: 'd' }, fields: { seq: first + i, pad: 'x'.repeat(100) }, timestampMs: first + i }));
  return { points, firstReceivedAtMs: first };
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = tempDirFor(t, 'telemq-spool-');
  return dir;
}

function drain(spool: ReturnType<typeof openSpool>): number[] {
  const firsts: number[] = [];
  for (let b = spool.peek(); b; b = spool.peek()) {
    firsts.push(b.firstReceivedAtMs);
    spool.ack();
  }
  return firsts;
}

test('spool: batches come back in order across segments, prepended ones first', (t) => {
  const spool = openSpool({ dir: tempDir(t), maxBytes: 10 * 1024 ** 2, fullPolicy: 'drop-oldest' });
  for (let i = 1; i <= 50; i++) spool.append([batch(i * 100, 10)]);
  spool.prepend([batch(1, 5), batch(2, 5)]);
  assert.equal(spool.points, 510);
  assert.equal(spool.oldestMs(), 1);
  assert.deepEqual(drain(spool), [1, 2, ...Array.from({ length: 50 }, (_, i) => (i + 1) * 100)]);
  assert.equal(spool.isEmpty, true);
  assert.equal(spool.bytes, 0);
});

test('spool: reopened after a crash, it resumes after the last acknowledged batch and cuts a torn record', (t) => {
  const dir = tempDir(t);
  const first = openSpool({ dir, maxBytes: 10 * 1024 ** 2, fullPolicy: 'drop-oldest' });
  for (let i = 1; i <= 5; i++) first.append([batch(i, 3)]);
  first.peek();
  first.ack();
  first.peek();
  first.ack();
  // kill -9 in the middle of the next append: half a record at the end of the tail segment
  const tail = readdirSync(dir).filter((n) => n.endsWith('.seg')).sort().at(-1)!;
  appendFileSync(path.join(dir, tail), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 3, 0, 0, 0, 123]));
  const second = openSpool({ dir, maxBytes: 10 * 1024 ** 2, fullPolicy: 'drop-oldest' });
  assert.equal(second.points, 9);
  second.append([batch(6, 3)]);
  assert.deepEqual(drain(second), [3, 4, 5, 6]);
});

test('spool: when full, drop-oldest gives up the oldest points and counts them', (t) => {
  const spool = openSpool({ dir: tempDir(t), maxBytes: 256 * 1024, fullPolicy: 'drop-oldest' });
  let dropped = 0;
  for (let i = 0; i < 400; i++) dropped += spool.append([batch(i * 10, 10)]);
  assert.ok(spool.bytes <= 256 * 1024, `bytes ${spool.bytes}`);
  assert.ok(dropped > 0);
  assert.equal(dropped + spool.points, 4000, 'every point is either kept or counted as dropped');
  const firsts = drain(spool);
  assert.equal(firsts.at(-1), 3990, 'the newest batch is kept');
  assert.ok(firsts[0]! > 0, 'the oldest went');
});

test('spool: when full, drop-newest refuses the batch that does not fit', (t) => {
  const spool = openSpool({ dir: tempDir(t), maxBytes: 256 * 1024, fullPolicy: 'drop-newest' });
  let dropped = 0;
  for (let i = 0; i < 400; i++) dropped += spool.append([batch(i * 10, 10)]);
  assert.ok(spool.bytes <= 256 * 1024);
  assert.equal(dropped + spool.points, 4000);
  assert.equal(drain(spool)[0], 0, 'the oldest is kept');
});
