import type { HistoryPoint } from '@telemq/broker/contract';
import { describe, expect, test } from 'vitest';
import { liveAfterSeam, mergeHistoryWithLive, seamAfter } from '../src/lib/history-merge.ts';

const pts = (...ts: number[]): HistoryPoint[] => ts.map((t) => ({ t, v: t / 1000 }));

describe('history continued by live data', () => {
  test('overlapping live points are not duplicated at the seam', () => {
    const history = { from: 0, everyMs: null, points: pts(1000, 2000, 3000) };
    const merged = mergeHistoryWithLive(history, pts(2000, 3000, 4000, 5000));
    expect(merged.t).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(merged.seamMs).toBe(4000);
  });

  test('live points the store has not written yet fill the seam (no gap)', () => {
    // history stopped at 2000 (the bridge had not flushed 3000 yet); live saw 3000 on
    const history = { from: 0, everyMs: null, points: pts(1000, 2000) };
    expect(mergeHistoryWithLive(history, pts(3000, 4000)).t).toEqual([1000, 2000, 3000, 4000]);
  });

  test('a duplicate inside the live buffer is dropped too', () => {
    const history = { from: 0, everyMs: null, points: pts(1000) };
    expect(liveAfterSeam(history, pts(2000, 2000, 3000)).map((p) => p.t)).toEqual([2000, 3000]);
  });

  test('aggregated history: live continues after the last window ends', () => {
    const history = { from: 0, everyMs: 60_000, points: pts(0, 60_000) };
    expect(seamAfter(history)).toEqual({ afterMs: 120_000, inclusive: true });
    const merged = mergeHistoryWithLive(history, pts(90_000, 119_999, 120_000, 121_000));
    expect(merged.t).toEqual([0, 60_000, 120_000, 121_000]);
  });

  test('empty history: all live points from the range start', () => {
    const history = { from: 5000, everyMs: null, points: [] };
    expect(mergeHistoryWithLive(history, pts(4000, 5000, 6000)).t).toEqual([5000, 6000]);
  });

  test('no live data yet: history alone, no seam', () => {
    const merged = mergeHistoryWithLive({ from: 0, everyMs: null, points: pts(1000) }, []);
    expect(merged).toEqual({ t: [1000], v: [1], seamMs: undefined });
  });
});
