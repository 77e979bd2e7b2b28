// The topic explorer: any filter the ACL allows, a bounded message list (a pause buffers), a topic
// tree (counts, last values), rates per topic over a sliding window, and a live chart of one chosen
// (topic, numeric field). Paused, the list and the tree on screen hold still; counting goes on.
import { onScopeDispose, ref, shallowRef } from 'vue';
import type { Watch } from '../live/hub.ts';
import type { LiveMessage } from '../live/live-source.ts';
import { useLiveStore } from '../stores/live.ts';
import { createTopicTree, type TopicRow } from '../explorer/topic-tree.ts';
import { createFrameScheduler } from '../lib/frame.ts';
import { createRing, createSeriesRing } from '../lib/ring-buffer.ts';
import { isRecord, numericFields, parseJsonPayload } from '../lib/telemetry.ts';

export interface ExplorerMessage {
  id: number;
  topic: string;
  payload: Uint8Array;
  text: string;
  json: unknown;
  isJson: boolean;
  sizeBytes: number;
  receivedAtMs: number;
  retain: boolean;
}

export type SubscriptionStatus = 'pending' | 'granted' | 'refused' | 'error';

export interface ExplorerSubscription {
  filter: string;
  status: SubscriptionStatus;
  detail: string;
}

/** Messages per second per topic over the last `windowS` full seconds, from per-second slots. */
export function createRateCounter(windowS = 5) {
  const slots = windowS + 1;
  const perTopic = new Map<string, { counts: number[]; seconds: number[] }>();
  return {
    count(topic: string, nowMs: number): void {
      const s = Math.floor(nowMs / 1000);
      let t = perTopic.get(topic);
      if (!t) perTopic.set(topic, (t = { counts: new Array<number>(slots).fill(0), seconds: new Array<number>(slots).fill(-1) }));
      const i = s % slots;
      if (t.seconds[i] !== s) {
        t.seconds[i] = s;
        t.counts[i] = 0;
      }
      t.counts[i]! += 1;
    },
    rates(nowMs: number): Array<{ topic: string; perSecond: number }> {
      const s = Math.floor(nowMs / 1000);
      const out: Array<{ topic: string; perSecond: number }> = [];
      for (const [topic, t] of perTopic) {
        let sum = 0;
        // the current second is still filling: count the full seconds before it
        for (let i = 0; i < slots; i++) if (t.seconds[i]! < s && t.seconds[i]! >= s - windowS) sum += t.counts[i]!;
        if (sum > 0) out.push({ topic, perSecond: sum / windowS });
        else if (t.seconds.every((x) => x < s - windowS)) perTopic.delete(topic);
      }
      return out.sort((a, b) => b.perSecond - a.perSecond || a.topic.localeCompare(b.topic));
    },
  };
}

/** `capacity` messages are kept; the newest `shown` are on screen, refreshed at most every `listEveryMs`. */
export function useExplorer(capacity = 500, shown = 100, listEveryMs = 500) {
  const live = useLiveStore();
  const subscriptions = ref<ExplorerSubscription[]>([]);
  const watches = new Map<string, Watch>();
  const ring = createRing<ExplorerMessage>(capacity);
  const messages = shallowRef<ExplorerMessage[]>([]);
  const paused = ref(false);
  /** messages buffered since the pause (at most `capacity`: older ones give way) */
  const heldWhilePaused = ref(0);
  const rates = shallowRef<Array<{ topic: string; perSecond: number }>>([]);
  const counter = createRateCounter();
  const chart = shallowRef<{ topic: string; field: string } | null>(null);
  const chartSeries = createSeriesRing(4000);
  const chartFrame = ref(0);
  let nextId = 1;
  const listFrame = createFrameScheduler(() => (messages.value = ring.toArray().slice(-shown).reverse()), listEveryMs);
  const chartRedraw = createFrameScheduler(() => (chartFrame.value += 1));
  const tree = createTopicTree();
  /** topics shown open in the tree */
  const expanded = shallowRef<ReadonlySet<string>>(new Set());
  const treeRows = shallowRef<TopicRow[]>([]);
  const treeFrame = createFrameScheduler(() => (treeRows.value = tree.rows(expanded.value)), listEveryMs);
  const rateTimer = setInterval(() => (rates.value = counter.rates(Date.now())), 1000);

  function onMessage(m: LiveMessage): void {
    counter.count(m.topic, m.receivedAtMs);
    tree.add(m.topic, m.payload, m.receivedAtMs);
    const parsed = parseJsonPayload(m.payload);
    const c = chart.value;
    if (c && c.topic === m.topic && parsed.ok && isRecord(parsed.value)) {
      const v = numericFields(parsed.value)[c.field];
      if (v !== undefined) {
        chartSeries.push(m.receivedAtMs, v);
        chartRedraw.schedule();
      }
    }
    // Paused, messages keep coming into the (bounded) buffer; only the list on screen holds still.
    const text = parsed.text;
    ring.push({ id: nextId++, topic: m.topic, payload: m.payload, text, json: parsed.ok ? parsed.value : undefined, isJson: parsed.ok, sizeBytes: m.payload.byteLength, receivedAtMs: m.receivedAtMs, retain: m.retain });
    if (paused.value) heldWhilePaused.value = Math.min(heldWhilePaused.value + 1, capacity);
    else {
      listFrame.schedule();
      treeFrame.schedule();
    }
  }

  function setPaused(isPaused: boolean): void {
    paused.value = isPaused;
    if (isPaused) return;
    heldWhilePaused.value = 0;
    listFrame.schedule();
    treeFrame.schedule();
  }

  function toggleTopic(topic: string): void {
    const next = new Set(expanded.value);
    if (!next.delete(topic)) next.add(topic);
    expanded.value = next;
    treeRows.value = tree.rows(next);
  }

  function subscribe(filter: string): void {
    const f = filter.trim();
    if (!f || watches.has(f)) return;
    const w = live.watch(f, onMessage);
    watches.set(f, w);
    subscriptions.value = [...subscriptions.value, { filter: f, status: 'pending', detail: '' }];
    void w.result.then((r) => {
      const status: SubscriptionStatus = r.ok ? 'granted' : r.reason;
      if (!r.ok) {
        w.stop();
        watches.delete(f);
      }
      subscriptions.value = subscriptions.value.map((s) => (s.filter === f ? { filter: f, status, detail: r.ok ? '' : r.detail } : s));
    });
  }

  function unsubscribe(filter: string): void {
    watches.get(filter)?.stop();
    watches.delete(filter);
    subscriptions.value = subscriptions.value.filter((s) => s.filter !== filter);
  }

  function chartField(topic: string, field: string): void {
    chart.value = { topic, field };
    chartSeries.clear();
    chartFrame.value += 1;
  }

  function clear(): void {
    ring.clear();
    messages.value = [];
    tree.clear();
    treeRows.value = [];
  }

  onScopeDispose(() => {
    for (const w of watches.values()) w.stop();
    watches.clear();
    clearInterval(rateTimer);
    listFrame.cancel();
    treeFrame.cancel();
    chartRedraw.cancel();
  });

  return { subscriptions, messages, paused, heldWhilePaused, setPaused, rates, treeRows, toggleTopic, chart, chartSeries, chartFrame, subscribe, unsubscribe, chartField, clear };
}
