// Collects points into batches bounded by size (maxBatchPoints) and age (flushIntervalMs).
import type { Point } from '../points/point.ts';

export interface Batch {
  points: Point[];
  /** epoch ms the oldest point of the batch arrived */
  firstReceivedAtMs: number;
}

export interface BatcherOptions {
  maxBatchPoints: number;
  flushIntervalMs: number;
  /** called synchronously with each full or aged batch */
  onBatch(batch: Batch): void;
  now?: () => number;
}

export interface Batcher {
  add(point: Point, receivedAtMs: number): void;
  /** hands over the open batch now, if any */
  flush(): void;
  /** points in the open batch */
  readonly size: number;
  /** arrival time of the open batch's first point, or null */
  readonly oldestMs: number | null;
  close(): Promise<void>;
}

export function createBatcher(options: BatcherOptions): Batcher {
  let points: Point[] = [];
  let firstReceivedAtMs = 0;
  let timer: NodeJS.Timeout | null = null;

  function flush(): void {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (points.length === 0) return;
    const batch = { points, firstReceivedAtMs };
    points = [];
    options.onBatch(batch);
  }

  return {
    add(point, receivedAtMs) {
      if (points.length === 0) {
        firstReceivedAtMs = receivedAtMs;
        timer = setTimeout(flush, options.flushIntervalMs);
      }
      points.push(point);
      if (points.length >= options.maxBatchPoints) flush();
    },
    flush,
    get size() {
      return points.length;
    },
    get oldestMs() {
      return points.length === 0 ? null : firstReceivedAtMs;
    },
    async close() {
      flush();
    },
  };
}
