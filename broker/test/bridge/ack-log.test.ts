import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openAckLog, type LoggedMessage } from '../../src/bridge/ack-log.ts';
import { createArrivalClock } from '../../src/bridge/arrival-clock.ts';
import { createHeldAcks } from '../../src/bridge/held-acks.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = tempDirFor(t, 'telemq-acklog-');
  return dir;
}

const message = (i: number): LoggedMessage => ({ topic: `devices/d${i % 3}/telemetry`, payload: Buffer.from(JSON.stringify({ seq: i })), stampMs: 1_700_000_000_000 + i / 1000 });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => message(from + i));

test('arrival clock: stamps are unique and increasing to the microsecond, and follow the wall clock', () => {
  const clock = createArrivalClock();
  const t = 1_700_000_000_000;
  const stamps = [t, t, t, t + 0.0005, t + 1, t + 1, t + 5].map((ms) => clock.stamp(ms));
  assert.deepEqual(
    stamps.map((s) => Math.round(s * 1000) - t * 1000),
    [0, 1, 2, 3, 1000, 1001, 5000],
  );
  clock.passed(t + 10);
  assert.equal(Math.round(clock.stamp(t + 10) * 1000), (t + 10) * 1000 + 1, 'never at or before a replayed stamp');
});

test('ack log: appends during a commit ride the next one together, one fsync in flight', async (t) => {
  const commits: number[] = [];
  const log = openAckLog({ dir: tempDir(t), segmentMaxBytes: 1024 ** 2, onCommit: (n) => commits.push(n) });
  const released: number[] = [];
  for (let i = 0; i < 100; i++) log.append([message(i)], [() => released.push(i)]);
  assert.deepEqual(released, [], 'nothing is released before its fsync');
  await log.close();
  assert.deepEqual(released, range(0, 100).map((_, i) => i), 'released in order');
  assert.equal(commits.length, 2, `the first append starts a commit, the other 99 wait for the next: ${commits}`);
  assert.deepEqual(commits, [1, 99]);
});

test('ack log: what was not settled is recovered after a crash, once, without a torn record', async (t) => {
  const dir = tempDir(t);
  const first = openAckLog({ dir, segmentMaxBytes: 600 });
  for (let i = 0; i < 40; i += 10) await new Promise<void>((resolve) => first.append(range(i, i + 10), [resolve]));
  first.settle(15); // the store has messages 0..14
  assert.ok(readdirSync(dir).filter((n) => n.endsWith('.log')).length >= 2, 'more than one segment');
  // kill -9 in the middle of the next commit: half a record at the end of the newest segment
  const newest = readdirSync(dir).filter((n) => n.endsWith('.log')).sort().at(-1)!;
  appendFileSync(path.join(dir, newest), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 3, 0, 0, 0, 123]));

  const second = openAckLog({ dir, segmentMaxBytes: 600 });
  assert.deepEqual(second.recovered, range(15, 40), 'from the settled position on, in order');
  assert.equal(second.position, 40);
  second.append(range(40, 45), []);
  second.settle(45);
  await second.close();
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.log')), [], 'settled: no segment left');

  const third = openAckLog({ dir, segmentMaxBytes: 600 });
  assert.deepEqual(third.recovered, [], 'replayed once');
  await third.close();
});

test('ack log: segments wholly settled are deleted while it runs', async (t) => {
  const dir = tempDir(t);
  const log = openAckLog({ dir, segmentMaxBytes: 500 });
  for (let i = 0; i < 100; i += 10) await new Promise<void>((resolve) => log.append(range(i, i + 10), [resolve]));
  const before = readdirSync(dir).filter((n) => n.endsWith('.log')).length;
  log.settle(90);
  const after = readdirSync(dir).filter((n) => n.endsWith('.log')).length;
  assert.ok(before >= 4 && after <= 2, `${before} segments, then ${after}`);
  await log.close();
  const reopened = openAckLog({ dir, segmentMaxBytes: 500 });
  assert.deepEqual(reopened.recovered, range(90, 100));
  await reopened.close();
});

test('held acks: a log position is settled only when its batch and every earlier one are in the store', () => {
  const settled: number[] = [];
  const appended: Array<{ messages: number; releases: number }> = [];
  let position = 0;
  const fakeLog = {
    recovered: [],
    bytes: 0,
    get position() {
      return position;
    },
    append(messages: readonly LoggedMessage[], onDurable: ReadonlyArray<() => void>) {
      appended.push({ messages: messages.length, releases: onDurable.length });
      position += messages.length;
    },
    settle: (upTo: number) => settled.push(upTo),
    close: async () => {},
  };
  const held = createHeldAcks(fakeLog);
  const batch = () => ({ points: [], firstReceivedAtMs: 0 });
  for (let i = 0; i < 10; i++) held.add(message(i), () => {});
  held.endDrain();
  held.endDrain(); // an empty drain appends nothing
  assert.deepEqual(appended, [{ messages: 10, releases: 10 }], 'one record per drain');
  const [first, second, third] = [batch(), batch(), batch()];
  held.formed(first);
  for (let i = 10; i < 15; i++) held.add(message(i), () => {});
  held.endDrain();
  held.formed(second);
  held.formed(third);
  held.settled(second);
  assert.deepEqual(settled, [], 'the first batch is not in the store yet');
  held.settled(first);
  assert.deepEqual(settled, [15]);
  held.settled(third);
  assert.deepEqual(settled, [15, 15]);
});

test('ack log: when its folder is gone, messages are still released and the failure reported', async (t) => {
  const dir = tempDir(t);
  const errors: string[] = [];
  const log = openAckLog({ dir, segmentMaxBytes: 300, onError: (err) => errors.push(err.message) });
  await new Promise<void>((resolve) => log.append(range(0, 10), [resolve]));
  rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((resolve) => log.append(range(10, 20), [resolve])); // needs a new segment: full
  log.settle(20);
  await log.close();
  assert.ok(errors.length >= 1, 'reported');
  assert.match(errors[0]!, /ENOENT/);
});
