// Broker page data: $SYS topics (live over the one connection) and /metrics (polled), started at
// login (720 samples of the 5 s $SYS period), and the broker's own last hour (GET
// /api/broker-history, read when the page opens) drawn before them, so the charts are full at once.
import type { BrokerHistoryResponse } from '@telemq/broker/contract';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { classifySys, createRate, figuresFromMetrics, joinHistory, parsePrometheus, sysPath, type MetricFigures, type SysFigure } from '../lib/broker-stats.ts';
import { createFrameScheduler } from '../lib/frame.ts';
import { createSeriesRing } from '../lib/ring-buffer.ts';
import type { Watch } from '../live/hub.ts';
import { useLiveStore } from './live.ts';
import { useSessionStore } from './session.ts';

const decoder = new TextDecoder();

export const useBrokerStore = defineStore('broker', () => {
  const live = useLiveStore();
  const session = useSessionStore();
  const sys = shallowRef<Record<string, string>>({});
  const figures = ref<Record<SysFigure, number | null>>({ connections: null, messagesIn: null, messagesOut: null });
  const metrics = shallowRef<MetricFigures | null>(null);
  const metricsError = ref('');
  const rates = { messagesIn: createRate(), messagesOut: createRate() };
  const hasRate = { messagesIn: false, messagesOut: false };
  /** each figure over time, for the page's charts */
  const series: Record<SysFigure, ReturnType<typeof createSeriesRing>> = { connections: createSeriesRing(720), messagesIn: createSeriesRing(720), messagesOut: createSeriesRing(720) };
  /** the broker's samples from before the page opened */
  const history = shallowRef<BrokerHistoryResponse | null>(null);
  const frame = ref(0);
  const redraw = createFrameScheduler(() => (frame.value += 1));
  let watch: Watch | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  let users = 0;

  function onSys(topic: string, payload: Uint8Array, atMs: number): void {
    const path = sysPath(topic);
    if (!path) return;
    const text = decoder.decode(payload);
    sys.value = { ...sys.value, [path]: text };
    const kind = classifySys(path);
    const value = Number(text);
    if (!kind || !Number.isFinite(value)) return;
    if (kind === 'connections') {
      figures.value.connections = value;
      record('connections', value, atMs);
    } else {
      // A published rate wins over one computed from the counter once it has been seen.
      const isRate = /per-?second|rate/.test(path);
      if (isRate) hasRate[kind] = true;
      else if (hasRate[kind]) return;
      const r = rates[kind](value, atMs, isRate);
      if (r !== null) {
        figures.value[kind] = r;
        record(kind, r, atMs);
      }
    }
  }

  function record(kind: SysFigure, value: number, atMs: number): void {
    series[kind].push(atMs, value);
    redraw.schedule();
  }

  async function pollMetrics(): Promise<void> {
    try {
      metrics.value = figuresFromMetrics(parsePrometheus(await session.api.metricsText()));
      metricsError.value = '';
    } catch (err) {
      metricsError.value = (err as Error).message;
    }
  }

  async function loadHistory(): Promise<void> {
    try {
      history.value = await session.api.brokerHistory();
      redraw.schedule();
    } catch {
      history.value = null; // an older broker: live samples only
    }
  }

  /** The chart's points of one figure since `fromMs`: the broker's history, then what came live. */
  function read(kind: SysFigure, fromMs: number): { t: Float64Array; v: Float64Array } {
    const h = history.value;
    return joinHistory(h ? { t: h.t, v: h[kind] } : null, series[kind].since(fromMs), fromMs);
  }

  /** $SYS for the whole session (App.vue, at login), so the charts have the last hour. */
  function collect(): void {
    if (watch) return;
    // a refusal is shown with its reason on every page (live store, App.vue)
    watch = live.watch('$SYS/#', (m) => onSys(m.topic, m.payload, m.receivedAtMs));
  }

  function stopCollecting(): void {
    watch?.stop();
    watch = null;
    redraw.cancel();
    for (const ring of Object.values(series)) ring.clear();
    history.value = null;
  }

  /** /metrics while the page is shown. Reference counted: the page calls start on mount and stop on unmount. */
  function start(): void {
    collect();
    users += 1;
    if (users > 1) return;
    void loadHistory();
    void pollMetrics();
    timer = setInterval(() => void pollMetrics(), 5000);
  }

  function stop(): void {
    users = Math.max(0, users - 1);
    if (users > 0) return;
    clearInterval(timer);
  }

  return { sys, figures, series, read, frame, metrics, metricsError, collect, stopCollecting, start, stop, onSys };
});
