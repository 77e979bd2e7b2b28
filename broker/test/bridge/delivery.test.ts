// The delivery loop against a scripted store (a unit test of one module).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { waitFor } from '../../../test/support/net.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';
import type { Batch } from '../../src/bridge/batcher.ts';
import { createDelivery, type DeliveryOptions } from '../../src/bridge/delivery.ts';
import { createBridgeMetrics } from '../../src/bridge/metrics.ts';
import { openSpool } from '../../src/bridge/spool.ts';
import { createLogger } from '../../src/logger.ts';
import type { Point, TelemetryStore, WriteOutcome } from '../../src/stores/types.ts';

function fakeStore() {
  const written: number[] = [];
  const state = { up: true, hang: false };
  const store: TelemetryStore = {
    kind: 'sqlite',
    async write(points: readonly Point[]): Promise<WriteOutcome> {
      if (state.hang) await new Promise(() => {});
      if (!state.up) return { ok: false, retryable: true, reason: 'down' };
      for (const p of points) written.push(p.fields.seq as number);
      return { ok: true };
    },
    queryHistory: async () => [],
    devices: async () => [],
    fieldKinds: async () => new Map(),
    ping: async () => state.up,
    close: async () => {},
  };
  return { store, written, state };
}

let seq = 0;
function batch(size: number): Batch {
  const points = Array.from({ length: size }, () => ({ measurement: 'm', tags: {}, fields: { seq: seq }, timestampMs: seq++ }));
  return { points, firstReceivedAtMs: Date.now() };
}

function setup(t: { after(fn: () => void | Promise<void>): void }, store: TelemetryStore, overrides: Partial<DeliveryOptions> = {}) {
  const dir = tempDirFor(t, 'telemq-delivery-');
  const spool = openSpool({ dir, maxBytes: 10 * 1024 ** 2, fullPolicy: 'drop-oldest' });
  const registry = new Registry();
  const metrics = createBridgeMetrics(registry, { spoolBytes: () => spool.bytes, logBytes: () => 0, lagSeconds: () => 0 });
  const delivery = createDelivery({ store, spool, metrics, log: createLogger('silent'), maxQueuedBatches: 2, maxWritesInFlight: 2, retryBaseMs: 10, retryMaxMs: 50, closeTimeoutMs: 300, ...overrides });
  return { delivery, spool, registry, dir };
}

test('delivery: an outage spools, recovery replays everything in order, exactly once', async (t) => {
  const { store, written, state } = fakeStore();
  const { delivery, spool, registry } = setup(t, store);
  seq = 0;
  for (let i = 0; i < 5; i++) delivery.submit(batch(10));
  await waitFor(() => written.length === 50, 2000, 'first batches');
  state.up = false;
  for (let i = 0; i < 20; i++) delivery.submit(batch(10));
  await waitFor(() => delivery.isStoreDown && spool.points === 200, 2000, 'spooled');
  state.up = true;
  for (let i = 0; i < 5; i++) delivery.submit(batch(10));
  await waitFor(() => written.length === 300, 3000, 'replayed');
  assert.deepEqual(written, Array.from({ length: 300 }, (_, i) => i));
  assert.equal(delivery.isStoreDown, false);
  assert.match(await registry.metrics(), /telemq_bridge_points_written_total 300/);
  await delivery.close();
});

test('delivery: submit never waits for the store, and close() spools what a hung store did not take', async (t) => {
  const { store, written, state } = fakeStore();
  const { delivery, dir } = setup(t, store);
  seq = 0;
  state.hang = true;
  const started = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) delivery.submit(batch(10));
  assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 1000, 'submit returned at once');
  assert.equal(delivery.pendingPoints, 1000);
  await delivery.close();
  assert.equal(delivery.state, 'closed', 'abandoned after closeTimeoutMs');
  assert.equal(written.length, 0);
  const reopened = openSpool({ dir, maxBytes: 10 * 1024 ** 2, fullPolicy: 'drop-oldest' });
  assert.equal(reopened.points, 1000, 'everything accepted is on disk for the next start');
  const order: number[] = [];
  for (let b = reopened.peek(); b; b = reopened.peek()) {
    order.push(...b.points.map((p) => p.fields.seq as number));
    reopened.ack();
  }
  assert.deepEqual(order, Array.from({ length: 1000 }, (_, i) => i));
});

test('delivery: a batch that arrives while another is being written gets its own write (maxWritesInFlight)', async (t) => {
  const releases: Array<() => void> = [];
  let concurrent = 0;
  let mostConcurrent = 0;
  const { store } = fakeStore();
  store.write = async () => {
    concurrent++;
    mostConcurrent = Math.max(mostConcurrent, concurrent);
    await new Promise<void>((resolve) => releases.push(resolve));
    concurrent--;
    return { ok: true };
  };
  const { delivery } = setup(t, store);
  delivery.submit(batch(1));
  await waitFor(() => releases.length === 1, 2000, 'first write');
  delivery.submit(batch(1)); // arrives while the first write is in flight
  await waitFor(() => releases.length === 2, 2000, 'second write started before the first ended');
  assert.equal(mostConcurrent, 2);
  delivery.submit(batch(1)); // both lanes busy: this one waits for a free lane
  // a lane starts within submit() or on the promises it settles: one turn of the event loop runs them all
  await new Promise((r) => setImmediate(r));
  assert.equal(releases.length, 2);
  releases.shift()!();
  await waitFor(() => releases.length === 2, 2000, 'third write after a lane freed');
  assert.equal(mostConcurrent, 2);
  for (const release of releases.splice(0)) release();
  await waitFor(() => delivery.pendingPoints === 0, 2000, 'all written');
  await delivery.close();
});

test('delivery state: idle until a batch arrives, writing it, idle again', async (t) => {
  const { store, written } = fakeStore();
  const { delivery } = setup(t, store);
  await waitFor(() => delivery.state === 'idle', 2000, 'idle with nothing to write');
  seq = 0;
  delivery.submit(batch(3));
  assert.equal(delivery.state, 'writing', 'a batch wakes the writer at once');
  await waitFor(() => written.length === 3 && delivery.state === 'idle', 2000, 'written, then idle');
  await delivery.close();
  assert.equal(delivery.state, 'closed');
});

test('delivery state: a failed write backs off, then writes again when the pause is over', async (t) => {
  const { store, written, state } = fakeStore();
  const { delivery, spool } = setup(t, store, { retryBaseMs: 200, retryMaxMs: 200 });
  seq = 0;
  state.up = false;
  delivery.submit(batch(2));
  await waitFor(() => delivery.state === 'backing-off', 2000, 'backing off after the failed write');
  assert.equal(spool.points, 2, 'the refused batch is spooled');
  state.up = true;
  await waitFor(() => written.length === 2 && delivery.state === 'idle', 5000, 'replayed after the pause');
  await delivery.close();
});

test('delivery state: close() ends a back-off pause at once, and a batch submitted once closed is spooled', { timeout: 30_000 }, async (t) => {
  const { store, state } = fakeStore();
  // a pause of ten minutes: if close() waited for it, this test would time out
  const { delivery, dir } = setup(t, store, { retryBaseMs: 600_000, retryMaxMs: 600_000, closeTimeoutMs: 600_000 });
  seq = 0;
  state.up = false;
  delivery.submit(batch(2));
  await waitFor(() => delivery.state === 'backing-off', 2000, 'backing off');
  await delivery.close();
  assert.equal(delivery.state, 'closed');
  delivery.submit(batch(3)); // e.g. the batcher's last batch after the writer closed
  assert.equal(openSpool({ dir, maxBytes: 10 * 1024 ** 2, fullPolicy: 'drop-oldest' }).points, 5, 'nothing left in memory');
});
