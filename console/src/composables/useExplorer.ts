// The topic explorer: any filter the ACL allows, a bounded message list (a pause buffers), a topic
// tree (counts, last values), rates per topic over a sliding window, and a live chart of one chosen
// (topic, numeric field). Paused, the list and the tree on screen hold still; counting goes on.
// Per message only counting and keeping the raw payload happen; text and JSON are read for the
// messages on screen (a hundred, at most twice a second) and for the charted topic, not for all.
import { onScopeDispose, ref, shallowRef } from 'vue';
import type { Watch } from '../live/hub.ts';
import type { LiveMessage } from '../live/live-source.ts';
import { useLiveStore } from '../stores/live.ts';
import { createTopicTree, type TopicRow } from '../explorer/topic-tree.ts';
import { createFrameScheduler } from '../lib/frame.ts';
import { createRateCounter, type TopicRate } from '../lib/rate-counter.ts';
import { createRing, createSeriesRing } from '../lib/ring-buffer.ts';
import { isRecord, numericFields, parseJsonPayload } from '../lib/telemetry.ts';

/** a message as it is kept: its payload still bytes */
interface HeldMessage {
  id: number;
  topic: string;
  payload: Uint8Array;
  receivedAtMs: number;
  retain: boolean;
}

/** a message as it is shown: text and JSON read once, when it first reaches the screen */
export interface ExplorerMessage extends HeldMessage {
  text: string;
  json: unknown;
  isJson: boolean;
  sizeBytes: number;
}

export type SubscriptionStatus = 'pending' | 'granted' | 'refused' | 'error';

export interface ExplorerSubscription {
  filter: string;
  status: SubscriptionStatus;
  detail: string;
}

const shown = new WeakMap<HeldMessage, ExplorerMessage>();

function readHeld(m: HeldMessage): ExplorerMessage {
  let out = shown.get(m);
  if (!out) {
    const parsed = parseJsonPayload(m.payload);
    out = { ...m, text: parsed.text, json: parsed.ok ? parsed.value : undefined, isJson: parsed.ok, sizeBytes: m.payload.byteLength };
    shown.set(m, out);
  }
  return out;
}

/**
 * `capacity` messages are kept; the newest `shown` are on screen, refreshed at most every
 * `listEveryMs` (each refresh lays out every row anew, so a short live list keeps frames under
 * 50 ms at 1,000 msg/s); a pause shows the newest `shownPaused` once, to read at leisure.
 */
export function useExplorer(capacity = 500, shown = 25, listEveryMs = 500, shownPaused = 100) {
  const live = useLiveStore();
  const subscriptions = ref<ExplorerSubscription[]>([]);
  const watches = new Map<string, Watch>();
  const ring = createRing<HeldMessage>(capacity);
  const messages = shallowRef<ExplorerMessage[]>([]);
  const paused = ref(false);
  /** messages buffered since the pause (at most `capacity`: older ones give way) */
  const heldWhilePaused = ref(0);
  const rates = shallowRef<TopicRate[]>([]);
  const counter = createRateCounter(Date.now());
  const chart = shallowRef<{ topic: string; field: string } | null>(null);
  const chartSeries = createSeriesRing(4000);
  const chartFrame = ref(0);
  let nextId = 1;
  const listFrame = createFrameScheduler(() => (messages.value = ring.newest(shown).map(readHeld)), listEveryMs);
  const chartRedraw = createFrameScheduler(() => (chartFrame.value += 1));
  const tree = createTopicTree();
  /** topics shown open in the tree */
  const expanded = shallowRef<ReadonlySet<string>>(new Set());
  const treeRows = shallowRef<TopicRow[]>([]);
  const treeFrame = createFrameScheduler(() => (treeRows.value = tree.rows(expanded.value)), listEveryMs);
  const rateTimer = setInterval(() => (rates.value = counter.rates(Date.now())), 1000);

  function chartPoint(m: LiveMessage, field: string): void {
    const parsed = parseJsonPayload(m.payload);
    const v = parsed.ok && isRecord(parsed.value) ? numericFields(parsed.value)[field] : undefined;
    if (v === undefined) return;
    chartSeries.push(m.receivedAtMs, v);
    chartRedraw.schedule();
  }

  function onMessage(m: LiveMessage): void {
    // retained messages replayed on subscribing are the past, not traffic
    if (!m.retain) counter.count(m.topic, m.receivedAtMs);
    tree.add(m.topic, m.payload, m.receivedAtMs);
    const c = chart.value;
    if (c && c.topic === m.topic) chartPoint(m, c.field);
    // Paused, messages keep coming into the (bounded) buffer; only the list on screen holds still.
    ring.push({ id: nextId++, topic: m.topic, payload: m.payload, receivedAtMs: m.receivedAtMs, retain: m.retain });
    if (paused.value) heldWhilePaused.value = Math.min(heldWhilePaused.value + 1, capacity);
    else {
      listFrame.schedule();
      treeFrame.schedule();
    }
  }

  function setPaused(isPaused: boolean): void {
    paused.value = isPaused;
    if (isPaused) {
      listFrame.cancel();
      messages.value = ring.newest(shownPaused).map(readHeld);
      return;
    }
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
    // rates count the time observed since the first subscription, not since the page opened
    if (watches.size === 0) counter.reset(Date.now());
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
    counter.reset(Date.now());
    rates.value = [];
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
