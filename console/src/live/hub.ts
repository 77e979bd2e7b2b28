// Routes the one live source's messages to many watchers, with one subscription per filter
// however many watchers share it (reference counted).
import { topicMatches } from '@telemq/broker/contract';
import type { LiveMessage, LiveSource, SubscribeResult } from './live-source.ts';

export interface Watch {
  readonly result: Promise<SubscribeResult>;
  stop(): void;
}

export interface LiveHub {
  readonly source: LiveSource;
  watch(filter: string, handler: (message: LiveMessage) => void): Watch;
  close(): Promise<void>;
}

interface Entry {
  handlers: Set<(message: LiveMessage) => void>;
  result: Promise<SubscribeResult>;
}

export function createLiveHub(source: LiveSource): LiveHub {
  const entries = new Map<string, Entry>();
  const stopSource = source.onMessage((message) => {
    for (const [filter, entry] of entries) {
      if (!topicMatches(filter, message.topic)) continue;
      for (const handler of entry.handlers) handler(message);
    }
  });
  return {
    source,
    watch(filter, handler) {
      let entry = entries.get(filter);
      if (!entry) {
        const created: Entry = { handlers: new Set(), result: source.subscribe(filter) };
        entries.set(filter, created);
        // A refused filter is forgotten, so asking again asks the broker again.
        void created.result.then((r) => {
          if (!r.ok && entries.get(filter) === created) entries.delete(filter);
        });
        entry = created;
      }
      const mine = entry;
      mine.handlers.add(handler);
      return {
        result: mine.result,
        stop() {
          mine.handlers.delete(handler);
          if (mine.handlers.size === 0 && entries.get(filter) === mine) {
            entries.delete(filter);
            void source.unsubscribe(filter);
          }
        },
      };
    },
    async close() {
      stopSource();
      entries.clear();
      await source.close();
    },
  };
}
