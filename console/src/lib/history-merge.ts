// History (from the store) continued by live points (from MQTT) with no gap and no duplicate.
// Live points are buffered from before the history request, so the seam is covered by both;
// the store holds one point per series and timestamp, so a timestamp identifies a point.
import type { HistoryPoint, HistoryResponse } from '@telemq/broker/contract';

export interface MergedSeries {
  t: number[];
  v: Array<number | null>;
  /** first timestamp taken from live data (undefined: none yet) */
  seamMs: number | undefined;
}

/**
 * The time from which live points continue the history: after the last raw point, or after the
 * end of the last aggregation window (its live points are already summarised by that window).
 */
export function seamAfter(history: Pick<HistoryResponse, 'points' | 'everyMs' | 'from'>): { afterMs: number; inclusive: boolean } {
  const last = history.points.at(-1);
  if (!last) return { afterMs: history.from, inclusive: true };
  if (history.everyMs) return { afterMs: last.t + history.everyMs, inclusive: true };
  return { afterMs: last.t, inclusive: false };
}

/** Live points (sorted by t) that continue `history`. */
export function liveAfterSeam(history: Pick<HistoryResponse, 'points' | 'everyMs' | 'from'>, live: readonly HistoryPoint[]): HistoryPoint[] {
  const { afterMs, inclusive } = seamAfter(history);
  const out: HistoryPoint[] = [];
  let previous = -Infinity;
  for (const p of live) {
    const after = inclusive ? p.t >= afterMs : p.t > afterMs;
    if (!after || p.t === previous) continue;
    out.push(p);
    previous = p.t;
  }
  return out;
}

export function mergeHistoryWithLive(history: Pick<HistoryResponse, 'points' | 'everyMs' | 'from'>, live: readonly HistoryPoint[]): MergedSeries {
  const tail = liveAfterSeam(history, live);
  const t: number[] = [];
  const v: Array<number | null> = [];
  for (const p of history.points) {
    t.push(p.t);
    v.push(p.v);
  }
  for (const p of tail) {
    t.push(p.t);
    v.push(p.v);
  }
  return { t, v, seamMs: tail[0]?.t };
}
