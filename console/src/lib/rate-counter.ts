// Messages per second per topic, right from the first second after subscribing and steady, for
// busy and sparse topics alike. Per topic, per-slot counts with their first and last message times
// cover the last `windowMs`; the rate is one over the mean gap between those messages ((n - 1) over
// the time from the first to the last), so slots entering and leaving the window do not make it
// jump, and a topic sending every 5 s reads 0.2/s whether the window holds one or two of its
// messages (with one, the gap is a moving average of the topic's own gaps). It is never more than
// the messages over the time since the first of them, so a topic that stops decays. Until a
// topic's second message only the time since `reset` (subscribing) counts. Retained messages
// replayed on subscribing are not traffic: the caller leaves them out.

export interface TopicRate {
  topic: string;
  perSecond: number;
}

export interface RateCounter {
  /** starts observing afresh at `nowMs` (a new subscription, a cleared view) */
  reset(nowMs: number): void;
  count(topic: string, atMs: number): void;
  /** topics with messages in the window, busiest first */
  rates(nowMs: number): TopicRate[];
  readonly topicCount: number;
}

export interface RateCounterOptions {
  windowMs?: number;
  slotMs?: number;
  /** below this much observed time nothing is reported (a first message alone is no rate) */
  minObservedMs?: number;
}

interface TopicSlots {
  counts: number[];
  /** each slot's number (-1: empty), and its first and last message times */
  slots: number[];
  firstMs: number[];
  lastMs: number[];
  /** the newest message time, and a moving average of the gaps (NaN until two messages) */
  newestMs: number;
  gapMs: number;
}

/** a moving average's weight for a new gap: about the last five count */
const gapWeight = 0.2;

export function createRateCounter(startMs: number, options: RateCounterOptions = {}): RateCounter {
  const slotMs = options.slotMs ?? 500;
  const windowSlots = Math.max(1, Math.round((options.windowMs ?? 10_000) / slotMs));
  const minObservedMs = options.minObservedMs ?? 1000;
  const perTopic = new Map<string, TopicSlots>();
  let originMs = startMs;

  function perSecond(t: TopicSlots, nowMs: number, firstSlot: number, current: number, observedMs: number): number {
    let n = 0;
    let firstMs = Infinity;
    let lastMs = -Infinity;
    for (let i = 0; i < windowSlots; i++) {
      if (t.slots[i]! < firstSlot || t.slots[i]! > current) continue;
      n += t.counts[i]!;
      firstMs = Math.min(firstMs, t.firstMs[i]!);
      lastMs = Math.max(lastMs, t.lastMs[i]!);
    }
    if (n === 0) return 0;
    // many messages: their mean gap; few: the topic's own average gap
    const gapMs = n >= 2 && lastMs - firstMs >= slotMs ? (lastMs - firstMs) / (n - 1) : t.gapMs;
    if (Number.isNaN(gapMs)) return (n * 1000) / observedMs;
    // never more than the messages over the time since the first of them: a topic that stopped decays
    return Math.min(1000 / Math.max(gapMs, 1), (n * 1000) / Math.max(nowMs - firstMs, 1));
  }

  return {
    reset(nowMs) {
      originMs = nowMs;
      perTopic.clear();
    },
    count(topic, atMs) {
      const slot = Math.floor(atMs / slotMs);
      let t = perTopic.get(topic);
      if (!t) {
        // plain arrays: thousands of topics' slots stay on the JS heap (no ArrayBuffer apiece)
        const zeros = () => new Array<number>(windowSlots).fill(0);
        perTopic.set(topic, (t = { counts: zeros(), slots: new Array<number>(windowSlots).fill(-1), firstMs: zeros(), lastMs: zeros(), newestMs: NaN, gapMs: NaN }));
      }
      const i = slot % windowSlots;
      if (t.slots[i] !== slot) {
        t.slots[i] = slot;
        t.counts[i] = 0;
        t.firstMs[i] = atMs;
      }
      t.counts[i]! += 1;
      t.lastMs[i] = atMs;
      if (!Number.isNaN(t.newestMs)) {
        const gap = Math.max(0, atMs - t.newestMs);
        t.gapMs = Number.isNaN(t.gapMs) ? gap : t.gapMs + gapWeight * (gap - t.gapMs);
      }
      t.newestMs = Math.max(atMs, Number.isNaN(t.newestMs) ? atMs : t.newestMs);
    },
    rates(nowMs) {
      const current = Math.floor(nowMs / slotMs);
      const firstSlot = current - windowSlots + 1;
      // the time observed: the window, never before the origin
      const observedMs = nowMs - Math.max(originMs, firstSlot * slotMs);
      const out: TopicRate[] = [];
      if (observedMs < minObservedMs) return out;
      for (const [topic, t] of perTopic) {
        const rate = perSecond(t, nowMs, firstSlot, current, observedMs);
        if (rate === 0) perTopic.delete(topic);
        else out.push({ topic, perSecond: rate });
      }
      return out.sort((a, b) => b.perSecond - a.perSecond || (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    },
    get topicCount() {
      return perTopic.size;
    },
  };
}
