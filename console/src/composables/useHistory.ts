// A history range from /api/history continued by live points: an explicit state union, and the
// merged series recomputed on each chart frame (see history-merge.ts for the seam).
import type { HistoryPoint, HistoryResponse } from '@telemq/broker/contract';
import { computed, onScopeDispose, ref, shallowRef, watch, type Ref } from 'vue';
import { useSessionStore } from '../stores/session.ts';
import { mergeHistoryWithLive, type MergedSeries } from '../lib/history-merge.ts';
import type { SeriesRing } from '../lib/ring-buffer.ts';

export type RangeName = 'hour' | 'day' | 'week' | 'custom';
export type HistoryState = 'idle' | 'loading' | 'error' | 'done';

export interface RangeChoice {
  name: RangeName;
  /** custom range, epoch ms */
  fromMs?: number;
  toMs?: number;
}

const spans: Record<Exclude<RangeName, 'custom'>, { spanMs: number; everyMs?: number }> = {
  hour: { spanMs: 3_600_000 },
  day: { spanMs: 86_400_000, everyMs: 60_000 },
  week: { spanMs: 7 * 86_400_000, everyMs: 600_000 },
};

/** The query for a range: raw points up to two hours, else windows that give about 1,500 points. */
export function rangeQuery(choice: RangeChoice, nowMs: number): { from: number; to: number; everyMs?: number } {
  if (choice.name !== 'custom') {
    const s = spans[choice.name];
    return { from: nowMs - s.spanMs, to: nowMs, ...(s.everyMs ? { everyMs: s.everyMs } : {}) };
  }
  const to = Math.min(choice.toMs ?? nowMs, nowMs);
  const from = Math.min(choice.fromMs ?? to - 3_600_000, to - 1000);
  const spanMs = to - from;
  return spanMs <= 7_200_000 ? { from, to } : { from, to, everyMs: Math.ceil(spanMs / 1500 / 1000) * 1000 };
}

export interface HistoryDeps {
  deviceId: string;
  field: Ref<string>;
  range: Ref<RangeChoice>;
  liveSeries(name: string): SeriesRing | undefined;
  frame: Ref<number>;
  /** resolves once the live subscription is active */
  ready: Promise<unknown>;
  settleMs?: number;
}

export function useHistory({ deviceId, field, range, liveSeries, frame, ready, settleMs = 2500 }: HistoryDeps) {
  const session = useSessionStore();
  const state = ref<HistoryState>('idle');
  const error = ref('');
  const response = shallowRef<HistoryResponse | null>(null);
  /** the range on screen: exactly the one asked for; toMs null while it continues live */
  const shown = shallowRef<{ fromMs: number; toMs: number | null } | null>(null);
  /** a custom range that ends in the past is not continued live */
  const continuesLive = ref(true);
  let controller: AbortController | null = null;
  let settleTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Loads the range. Points published just before the live subscription and not yet written by
   * the bridge (it batches for up to a flush interval) are in neither source on the first load,
   * so a range that continues live is loaded once more after `settleMs`, quietly.
   */
  async function load(quiet = false): Promise<void> {
    if (!field.value) return;
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    const nowMs = Date.now();
    const q = rangeQuery(range.value, nowMs);
    continuesLive.value = q.to >= nowMs - 5000;
    if (!quiet) state.value = 'loading';
    clearTimeout(settleTimer);
    try {
      const res = await session.api.history({ device: deviceId, field: field.value, ...q, ...(q.everyMs ? { agg: 'mean' as const } : {}) }, mine.signal);
      if (controller !== mine) return;
      response.value = res;
      shown.value = { fromMs: q.from, toMs: continuesLive.value ? null : q.to };
      state.value = 'done';
      if (!quiet && continuesLive.value) settleTimer = setTimeout(() => void load(true), settleMs);
    } catch (err) {
      if (controller !== mine) return;
      error.value = (err as Error).message;
      state.value = 'error';
    }
  }

  // The first load waits for the live subscription, so live data covers everything after it. The
  // watcher belongs to the caller's scope (created here, stopped with it); a subscription that
  // becomes active after the component is gone loads nothing.
  let isReady = false;
  let isDisposed = false;
  watch([field, range], () => {
    if (isReady) void load();
  });
  void ready.then(() => {
    if (isDisposed) return;
    isReady = true;
    void load();
  });
  onScopeDispose(() => {
    isDisposed = true;
    clearTimeout(settleTimer);
    controller?.abort();
  });

  const merged = computed<MergedSeries | null>(() => {
    void frame.value;
    const res = response.value;
    if (!res) return null;
    if (!continuesLive.value) return mergeHistoryWithLive(res, []);
    const ring = liveSeries(field.value);
    const livePoints: HistoryPoint[] = [];
    if (ring) {
      const { t, v } = ring.since(res.from);
      for (let i = 0; i < t.length; i++) livePoints.push({ t: t[i]!, v: v[i]! });
      livePoints.sort((a, b) => a.t - b.t);
    }
    return mergeHistoryWithLive(res, livePoints);
  });

  return { state, error, response, shown, merged, reload: load };
}
