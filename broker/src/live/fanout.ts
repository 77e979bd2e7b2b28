// One broker subscription per distinct filter, shared by every SSE stream and polling session that
// asked for it: a message is taken from the broker once per filter, sized once and encoded at most
// once, then handed to each session. Sessions change their filters in place (a filter change on a
// poll session keeps the session), and a message matching two filters of one session arrives once.
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import type { PublishedMessage } from '../broker/types.ts';
import { toWire, type WireMessage } from './wire.ts';

/** A message as the fallbacks hold it: shared by all sessions, encoded lazily and once. */
export interface LiveItem {
  readonly message: PublishedMessage;
  /** what it costs once encoded for the wire (JSON with a base64 payload) */
  readonly bytes: number;
  wire(): WireMessage;
  /** wire() as JSON, for every session that sends it */
  json(): string;
}

export interface FanoutSubscription {
  /** the filters now delivered; resolves when new ones are active on the broker */
  set(filters: readonly string[]): Promise<void>;
  readonly filters: readonly string[];
  close(): Promise<void>;
}

export interface Fanout {
  subscribe(onItem: (item: LiveItem) => void): FanoutSubscription;
  /** broker subscriptions held (one per distinct filter in use) */
  filterCount(): number;
  close(): Promise<void>;
}

type Sink = (item: LiveItem) => void;

interface Entry {
  sinks: Set<Sink>;
  unsubscribe: Promise<() => Promise<void>>;
}

/** base64 of the payload plus the JSON around it: {"topic":"…","payload":"…","retain":false} */
export function wireBytes(message: PublishedMessage): number {
  return Buffer.byteLength(message.topic) + Math.ceil(message.payload.length / 3) * 4 + 40;
}

export function createFanout(broker: Pick<MqttBroker, 'subscribe'>): Fanout {
  const entries = new Map<string, Entry>();

  function toItem(message: PublishedMessage): LiveItem {
    let wire: WireMessage | undefined;
    let json: string | undefined;
    const item: LiveItem = {
      message,
      bytes: wireBytes(message),
      wire: () => (wire ??= toWire(message)),
      json: () => (json ??= JSON.stringify(item.wire())),
    };
    return item;
  }
  async function add(filter: string, sink: Sink): Promise<void> {
    let entry = entries.get(filter);
    if (!entry) {
      const sinks = new Set<Sink>();
      const created: Entry = {
        sinks,
        unsubscribe: broker.subscribe(filter, (m) => {
          const item = toItem(m);
          for (const s of sinks) s(item);
        }),
      };
      entry = created;
      entries.set(filter, created);
      // A failed subscribe leaves no entry behind for the next session to wait on.
      created.unsubscribe.catch(() => entries.get(filter) === created && entries.delete(filter));
    }
    entry.sinks.add(sink);
    await entry.unsubscribe;
  }
  async function remove(filter: string, sink: Sink): Promise<void> {
    const entry = entries.get(filter);
    if (!entry?.sinks.delete(sink) || entry.sinks.size > 0) return;
    entries.delete(filter);
    await (await entry.unsubscribe.catch(() => async () => {}))();
  }

  return {
    subscribe(onItem) {
      let current: string[] = [];
      let last: PublishedMessage | undefined;
      const sink: Sink = (item) => {
        // Overlapping filters hand over the same packet back to back (same payload buffer).
        if (last && item.message.payload === last.payload && item.message.topic === last.topic) return;
        last = item.message;
        onItem(item);
      };
      return {
        get filters() {
          return current;
        },
        async set(filters) {
          const next = [...new Set(filters)];
          const gone = current.filter((f) => !next.includes(f));
          const added = next.filter((f) => !current.includes(f));
          current = next;
          await Promise.all([...added.map((f) => add(f, sink)), ...gone.map((f) => remove(f, sink))]);
        },
        async close() {
          const gone = current;
          current = [];
          await Promise.all(gone.map((f) => remove(f, sink)));
        },
      };
    },
    filterCount: () => entries.size,
    async close() {
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map(async (e) => (await e.unsubscribe.catch(() => async () => {}))()));
    },
  };
}
