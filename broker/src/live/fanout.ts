// One broker subscription per distinct filter, shared by every SSE stream and polling session that
// asked for it: a message is taken from the broker once per filter, sized once and encoded at most
// once. SSE streams (and polling requests that are waiting) get each message handed to them; polling
// sessions between requests only hold a cursor in the filter's log (backlog.ts), so a message costs
// nothing per session that is not waiting. Sessions change their filters in place, and a message
// matching two filters of one session arrives once.
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import type { PublishedMessage } from '../broker/types.ts';
import type { Backlog, FilterLog, LogCursor } from './backlog.ts';
import { noDrops, type DropTally } from './queue.ts';
import { toWire, type WireMessage } from './wire.ts';

/** A message as the fallbacks hold it: shared by all sessions and filters, encoded lazily and once. */
export interface LiveItem {
  /** arrival order over all filters */
  readonly seq: number;
  readonly message: PublishedMessage;
  /** what it costs once encoded for the wire (JSON with a base64 payload) */
  readonly bytes: number;
  wire(): WireMessage;
  /** wire() as JSON, for every session that sends it */
  json(): string;
}

type Sink = (item: LiveItem) => void;

export interface FanoutSubscription {
  /** the filters now delivered; resolves when new ones are active on the broker */
  set(filters: readonly string[]): Promise<void>;
  readonly filters: readonly string[];
  close(): Promise<void>;
}

/** A polling session's place in its filters' logs. */
export interface FanoutReader extends FanoutSubscription {
  /** the messages since the last take, oldest first and each once, and how many were lost meanwhile */
  take(): { items: LiveItem[]; lost: DropTally };
  /** messages held or lost since the last take */
  pending(): number;
  /** hands over each new message until unwatch() (while a request waits) */
  watch(onItem: Sink): void;
  unwatch(): void;
}

export interface Fanout {
  subscribe(onItem: Sink): FanoutSubscription;
  reader(): FanoutReader;
  /** lets go of what every reader of a log has read (a log with one reader does so at each take) */
  compact(): void;
  /** broker subscriptions held (one per distinct filter in use) */
  filterCount(): number;
  close(): Promise<void>;
}

interface Entry {
  sinks: Set<Sink>;
  /** held while polling sessions read the filter */
  log: FilterLog | null;
  unsubscribe: Promise<() => Promise<void>>;
}

/** base64 of the payload plus the JSON around it: {"topic":"…","payload":"…","retain":false} */
export function wireBytes(message: PublishedMessage): number {
  return Buffer.byteLength(message.topic) + Math.ceil(message.payload.length / 3) * 4 + 40;
}

export function createFanout(broker: Pick<MqttBroker, 'subscribe'>, backlog: Backlog): Fanout {
  const entries = new Map<string, Entry>();
  let seq = 0;
  let last: LiveItem | undefined;

  function itemOf(message: PublishedMessage): LiveItem {
    // Overlapping filters hand over the same packet back to back (same payload buffer): one item.
    if (last && message.payload === last.message.payload && message.topic === last.message.topic) return last;
    let wire: WireMessage | undefined;
    let json: string | undefined;
    const item: LiveItem = {
      seq: ++seq,
      message,
      bytes: wireBytes(message),
      wire: () => (wire ??= toWire(message)),
      json: () => (json ??= JSON.stringify(item.wire())),
    };
    return (last = item);
  }
  function entryOf(filter: string): Entry {
    const found = entries.get(filter);
    if (found) return found;
    const sinks = new Set<Sink>();
    const created: Entry = { sinks, log: null, unsubscribe: Promise.resolve(async () => {}) };
    created.unsubscribe = broker.subscribe(filter, (m) => {
      const item = itemOf(m);
      created.log?.append(item);
      for (const s of sinks) s(item);
    });
    entries.set(filter, created);
    // A failed subscribe leaves no entry behind for the next session to wait on.
    created.unsubscribe.catch(() => entries.get(filter) === created && entries.delete(filter));
    return created;
  }
  /** unsubscribes from the broker once nobody uses the filter */
  async function release(filter: string, entry: Entry): Promise<void> {
    if (entry.log?.readers === 0) {
      entry.log.close();
      entry.log = null;
    }
    if (entry.sinks.size > 0 || entry.log || entries.get(filter) !== entry) return;
    entries.delete(filter);
    await (await entry.unsubscribe.catch(() => async () => {}))();
  }
  /** applies a change of filters: `attach` runs synchronously for each new one, before the broker confirms */
  function changer(attach: (filter: string, entry: Entry) => void, detach: (filter: string, entry: Entry | undefined) => void): FanoutSubscription {
    let current: string[] = [];
    const apply = async (next: string[]) => {
      const gone = current.filter((f) => !next.includes(f));
      const added = next.filter((f) => !current.includes(f));
      current = next;
      const waits = added.map((f) => {
        const entry = entryOf(f);
        attach(f, entry);
        return entry.unsubscribe.then(() => undefined);
      });
      const releases = gone.map((f) => {
        const entry = entries.get(f);
        detach(f, entry);
        return entry && release(f, entry);
      });
      await Promise.all([...waits, ...releases]);
    };
    return {
      get filters() {
        return current;
      },
      set: (filters) => apply([...new Set(filters)]),
      close: () => apply([]),
    };
  }

  function subscribe(onItem: Sink): FanoutSubscription {
    let lastSeen = 0;
    const sink: Sink = (item) => {
      if (item.seq === lastSeen) return;
      lastSeen = item.seq;
      onItem(item);
    };
    return changer(
      (_f, entry) => entry.sinks.add(sink),
      (_f, entry) => entry?.sinks.delete(sink),
    );
  }

  function reader(): FanoutReader {
    const cursors = new Map<string, LogCursor>();
    let watcher: Sink | null = null;
    const sub = changer(
      (f, entry) => {
        entry.log ??= backlog.open();
        cursors.set(f, entry.log.join());
        if (watcher) entry.sinks.add(watcher);
      },
      (f, entry) => {
        const cursor = cursors.get(f);
        if (cursor) entry?.log?.leave(cursor);
        if (watcher) entry?.sinks.delete(watcher);
        cursors.delete(f);
      },
    );
    /** its filters' logs (none for a filter whose broker subscription failed) */
    const logs = () => [...cursors].flatMap(([filter, cursor]) => {
      const log = entries.get(filter)?.log;
      return log ? [{ cursor, log }] : [];
    });
    return {
      get filters() {
        return sub.filters;
      },
      set: sub.set,
      close: sub.close,
      take() {
        const lost = noDrops();
        let items: LiveItem[] = [];
        for (const { cursor, log } of logs()) {
          const got = log.read(cursor);
          lost.budget += got.lost.budget;
          lost['session-queue-full'] += got.lost['session-queue-full'];
          items = items.length === 0 ? got.items : items.concat(got.items);
        }
        if (cursors.size > 1) items = items.sort((a, b) => a.seq - b.seq).filter((item, i) => i === 0 || items[i - 1]!.seq !== item.seq);
        return { items, lost };
      },
      pending: () => logs().reduce((n, { cursor, log }) => n + log.pending(cursor), 0),
      watch(onItem) {
        watcher = onItem;
        for (const filter of cursors.keys()) entries.get(filter)?.sinks.add(onItem);
      },
      unwatch() {
        if (!watcher) return;
        for (const filter of cursors.keys()) entries.get(filter)?.sinks.delete(watcher);
        watcher = null;
      },
    };
  }

  return {
    subscribe,
    reader,
    compact() {
      for (const entry of entries.values()) entry.log?.compact();
    },
    filterCount: () => entries.size,
    async close() {
      const all = [...entries.values()];
      entries.clear();
      for (const e of all) e.log?.close();
      await Promise.all(all.map(async (e) => (await e.unsubscribe.catch(() => async () => {}))()));
    },
  };
}
