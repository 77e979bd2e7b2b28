// Gets batches into the store in order without ever making the caller wait: a few batches queue in
// memory; once the store falls behind or fails, batches go to the spool, which is replayed (oldest
// first, exponential backoff between failed attempts) before anything newer is written directly.
// Invariant: while the spool holds points, the memory queue is empty, so order is spool, then memory.
import type { Logger } from '../logger.ts';
import type { TelemetryStore, WriteOutcome } from '../stores/types.ts';
import type { Batch } from './batcher.ts';
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

export interface Delivery {
  submit(batch: Batch): void;
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
  let failures = 0;
  let closing = false;
  let abandoned = false;
  /** resolves the wait for work (idle) or the backoff pause (after a failure) */
  let wake: (() => void) | null = null;
  let cutBackoff: (() => void) | null = null;

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

  /** new work ends an idle wait but not a backoff pause; closing ends both */
  function kick(all = false): void {
    const w = wake;
    wake = null;
    w?.();
    if (all) {
      const c = cutBackoff;
      cutBackoff = null;
      c?.();
    }
  }

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        cutBackoff = null;
        resolve();
      }, ms);
      cutBackoff = () => {
        clearTimeout(timer);
        resolve();
      };
    });

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

  async function failed(reason: string): Promise<void> {
    failures++;
    if (failures === 1) log.warn({ reason }, 'telemetry store unavailable: spooling');
    if (!closing) await pause(Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.min(failures - 1, 20)));
  }

  /** The oldest spooled batch to the store, one at a time, so the spool drains in order. */
  async function replayOne(): Promise<boolean> {
    if (closing) return false; // the spool is replayed at the next start
    const batch = spool.peek();
    if (!batch) return false;
    const outcome = await write(batch);
    if (abandoned) return false;
    if (outcome.ok || !outcome.retryable) {
      settle(batch, outcome);
      spool.ack();
    } else {
      await failed(outcome.reason);
    }
    return true;
  }

  /** Writes of the current writeQueued step: lanes running, batches refused, and its end. */
  let lanes = 0;
  let refused: Batch[] = [];
  let refusedReason = '';
  let lanesDone: (() => void) | null = null;

  async function lane(): Promise<void> {
    lanes++;
    try {
      while (queue.length > 0 && refused.length === 0 && !abandoned) {
        const batch = queue.shift()!;
        inflight.add(batch);
        const outcome = await write(batch);
        inflight.delete(batch);
        if (abandoned) return;
        if (outcome.ok || !outcome.retryable) {
          settle(batch, outcome);
          options.onSettled?.(batch);
        } else {
          refused.push(batch);
          refusedReason = outcome.reason;
        }
      }
    } finally {
      if (--lanes === 0) lanesDone?.();
    }
  }

  /** Starts lanes while fewer than maxWritesInFlight run and batches wait; called again as batches arrive. */
  function fillLanes(): void {
    while (lanes < options.maxWritesInFlight && queue.length > 0 && refused.length === 0 && !abandoned) void lane();
  }

  /**
   * Queued batches to the store, up to maxWritesInFlight at once, so serialising the next batch
   * overlaps the store's work on the current one. After a failure nothing new starts, and what did
   * not land goes to the head of the spool in arrival order (the spool only holds newer batches).
   */
  async function writeQueued(): Promise<boolean> {
    if (queue.length === 0) return false;
    refused = [];
    const done = new Promise<void>((resolve) => (lanesDone = resolve));
    fillLanes();
    await done;
    lanesDone = null;
    if (abandoned) return false;
    if (refused.length > 0) {
      toSpool([...inArrivalOrder(refused), ...queue.splice(0)], 'prepend');
      await failed(refusedReason);
    }
    return true;
  }

  const step = () => (spool.isEmpty ? writeQueued() : replayOne());

  async function run(): Promise<void> {
    while (!abandoned) {
      let worked = false;
      try {
        worked = await step();
      } catch (err) {
        log.error({ err }, 'delivery step failed');
        await pause(options.retryBaseMs);
      }
      if (!worked) {
        if (closing) return;
        if (queue.length > 0 || !spool.isEmpty) continue; // work arrived while this step ran
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  }
  const running = run();

  return {
    submit(batch) {
      arrival.set(batch, arrivals++);
      if (closing && abandoned) {
        toSpool([batch], 'append');
        return;
      }
      if (!spool.isEmpty || queue.length >= options.maxQueuedBatches) toSpool([...queue.splice(0), batch], 'append');
      else {
        queue.push(batch);
        if (lanesDone !== null) fillLanes(); // a write step is running: give the batch a lane of its own if one is free
      }
      kick();
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
      closing = true;
      kick(true);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.closeTimeoutMs ?? 5000)));
      const result = await Promise.race([running.then(() => 'done' as const), timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') {
        abandoned = true;
        // The store did not answer in time: keep what is in flight and queued for the next start.
        toSpool([...inArrivalOrder(inflight), ...queue.splice(0)], 'prepend');
        inflight.clear();
        kick(true);
      }
    },
  };
}
