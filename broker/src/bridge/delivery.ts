// Gets batches into the store in order without ever making the caller wait: a few batches queue in
// memory; once the store falls behind or fails, batches go to the spool, which is replayed (oldest
// first, exponential backoff between failed attempts) before anything newer is written directly.
// Invariant: while the spool holds points, the memory queue is empty, so order is spool, then memory.
//
// The writer's life is a state union with named transitions (delivery-state.ts); a batch submitted
// once it is closed goes straight to the spool.
import type { Logger } from '../logger.ts';
import type { TelemetryStore, WriteOutcome } from '../stores/types.ts';
import type { Batch } from './batcher.ts';
import { createDeliveryState, type DeliveryStateKind } from './delivery-state.ts';
import type { BridgeMetrics } from './metrics.ts';
import type { Spool } from './spool.ts';

export interface DeliveryOptions {
  store: TelemetryStore;
  spool: Spool;
  metrics: BridgeMetrics;
  log: Logger;
  maxQueuedBatches: number;
  /** batches written at once from the memory queue (the spool replays one at a time) */
  maxWritesInFlight: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** how long close() may try the store before spooling what is left */
  closeTimeoutMs?: number;
  /** a submitted batch is in the store (or refused by it for good) or in the spool */
  onSettled?: (batch: Batch) => void;
}

/** The lanes of one step writing queued batches, and what the store refused during it. */
interface WriteStep {
  lanes: number;
  refused: Batch[];
  refusedReason: string;
  done: () => void;
}

export interface Delivery {
  submit(batch: Batch): void;
  /** where the writer is in its life (the diagram in delivery-state.ts) */
  readonly state: DeliveryStateKind;
  /** the last write attempt failed and points are being spooled */
  readonly isStoreDown: boolean;
  /** points waiting in memory or in the spool */
  readonly pendingPoints: number;
  /** arrival time of the oldest point not yet written */
  oldestMs(): number | null;
  /** writes what is queued (or spools it if the store fails or is slow); replay continues at the next start */
  close(): Promise<void>;
}

export function createDelivery(options: DeliveryOptions): Delivery {
  const { store, spool, metrics, log } = options;
  const queue: Batch[] = [];
  const inflight = new Set<Batch>();
  const arrival = new WeakMap<Batch, number>();
  let arrivals = 0;
  const inArrivalOrder = (batches: Iterable<Batch>) => [...batches].sort((a, b) => arrival.get(a)! - arrival.get(b)!);
  /** failed writes in a row; the store is down while this is above 0 */
  let failures = 0;
  const life = createDeliveryState();
  /** the step writing queued batches, while one runs */
  let writeStep: WriteStep | null = null;
  const isClosed = () => life.kind === 'closed';

  /** closing → closed; abandoned: what is in flight and queued is spooled for the next start */
  function finish(abandoned: boolean): void {
    life.finish(abandoned);
    if (abandoned) {
      toSpool([...inArrivalOrder(inflight), ...queue.splice(0)], 'prepend');
      inflight.clear();
    }
  }

  const pointsOf = (batches: readonly Batch[]) => batches.reduce((n, b) => n + b.points.length, 0);

  function toSpool(batches: Batch[], where: 'append' | 'prepend'): void {
    if (batches.length === 0) return;
    metrics.spooled.inc(pointsOf(batches));
    const dropped = where === 'append' ? spool.append(batches) : spool.prepend(batches);
    if (options.onSettled) for (const batch of batches) options.onSettled(batch);
    if (dropped > 0) {
      metrics.dropped.inc({ reason: 'spool-full' }, dropped);
      log.warn({ droppedPoints: dropped, spoolBytes: spool.bytes }, 'spool full: points dropped');
    }
  }

  async function write(batch: Batch): Promise<WriteOutcome> {
    const end = metrics.writeSeconds.startTimer();
    const outcome = await store.write(batch.points);
    end();
    return outcome;
  }

  function settle(batch: Batch, outcome: WriteOutcome): void {
    if (outcome.ok) {
      metrics.written.inc(batch.points.length);
    } else if (!outcome.retryable) {
      metrics.written.inc(Math.max(0, batch.points.length - outcome.rejectedPoints));
      metrics.dropped.inc({ reason: 'store-rejected' }, outcome.rejectedPoints);
      log.warn({ reason: outcome.reason, rejectedPoints: outcome.rejectedPoints }, 'store refused points');
    }
    if (failures > 0) log.info({ failures }, 'telemetry store is back; replaying the spool');
    failures = 0;
  }

  function failed(reason: string): Promise<void> {
    failures++;
    if (failures === 1) log.warn({ reason }, 'telemetry store unavailable: spooling');
    return life.backOff(Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.min(failures - 1, 20)));
  }

  /** The oldest spooled batch to the store, one at a time, so the spool drains in order. */
  async function replayOne(): Promise<boolean> {
    if (life.kind === 'closing') return false; // the spool is replayed at the next start
    const batch = spool.peek();
    if (!batch) return false;
    const outcome = await write(batch);
    if (isClosed()) return false;
    if (outcome.ok || !outcome.retryable) {
      settle(batch, outcome);
      spool.ack();
    } else {
      await failed(outcome.reason);
    }
    return true;
  }

  async function lane(step: WriteStep): Promise<void> {
    step.lanes++;
    try {
      while (queue.length > 0 && step.refused.length === 0 && !isClosed()) {
        const batch = queue.shift()!;
        inflight.add(batch);
        const outcome = await write(batch);
        inflight.delete(batch);
        if (isClosed()) return;
        if (outcome.ok || !outcome.retryable) {
          settle(batch, outcome);
          options.onSettled?.(batch);
        } else {
          step.refused.push(batch);
          step.refusedReason = outcome.reason;
        }
      }
    } finally {
      if (--step.lanes === 0) step.done();
    }
  }

  /** Starts lanes while fewer than maxWritesInFlight run and batches wait; called again as batches arrive. */
  function fillLanes(step: WriteStep): void {
    while (step.lanes < options.maxWritesInFlight && queue.length > 0 && step.refused.length === 0 && !isClosed()) void lane(step);
  }

  /**
   * Queued batches to the store, up to maxWritesInFlight at once, so serialising the next batch
   * overlaps the store's work on the current one. After a failure nothing new starts, and what did
   * not land goes to the head of the spool in arrival order (the spool only holds newer batches).
   */
  async function writeQueued(): Promise<boolean> {
    if (queue.length === 0) return false;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const step: WriteStep = (writeStep = { lanes: 0, refused: [], refusedReason: '', done });
    fillLanes(step);
    await finished;
    writeStep = null;
    if (isClosed()) return false;
    if (step.refused.length > 0) {
      toSpool([...inArrivalOrder(step.refused), ...queue.splice(0)], 'prepend');
      await failed(step.refusedReason);
    }
    return true;
  }

  async function run(): Promise<void> {
    while (!isClosed()) {
      let worked = false;
      try {
        worked = await (spool.isEmpty ? writeQueued() : replayOne());
      } catch (err) {
        log.error({ err }, 'delivery step failed');
        await life.backOff(options.retryBaseMs);
      }
      if (worked || isClosed()) continue;
      if (life.kind === 'closing') return finish(false);
      if (queue.length > 0 || !spool.isEmpty) continue; // work arrived while this step ran
      await life.waitForWork();
    }
  }
  const running = run();

  return {
    submit(batch) {
      arrival.set(batch, arrivals++);
      if (isClosed()) return toSpool([batch], 'append');
      if (!spool.isEmpty || queue.length >= options.maxQueuedBatches) toSpool([...queue.splice(0), batch], 'append');
      else {
        queue.push(batch);
        if (writeStep) fillLanes(writeStep); // a write step is running: give the batch a lane of its own if one is free
      }
      life.wake();
    },
    get state() {
      return life.kind;
    },
    get isStoreDown() {
      return failures > 0;
    },
    get pendingPoints() {
      return pointsOf(queue) + pointsOf([...inflight]) + spool.points;
    },
    oldestMs() {
      const candidates = [...[...inflight].map((b) => b.firstReceivedAtMs), queue[0]?.firstReceivedAtMs, spool.oldestMs()].filter((t): t is number => typeof t === 'number');
      return candidates.length === 0 ? null : Math.min(...candidates);
    },
    async close() {
      if (life.kind === 'closing' || life.kind === 'closed') return running;
      life.beginClosing();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.closeTimeoutMs ?? 5000)));
      const result = await Promise.race([running.then(() => 'done' as const), timedOut]);
      clearTimeout(timer);
      // The store did not answer in time: keep what is in flight and queued for the next start.
      if (result === 'timeout' && !isClosed()) finish(true);
    },
  };
}
