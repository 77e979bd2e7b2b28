// Per-client bounds on what a client can make the broker hold beyond its own connection: the
// subscriptions it has (a console subscribing to 100,000 filters held +114 MB) and the retained
// topics it owns (a device publishing retained messages on 100,000 of its replies/# topics held
// +176 MB). A refused SUBSCRIBE filter gets 0x80 [MQTT-3.9.3-2]; a refused retained publish is
// treated like a forbidden one (acknowledged, not routed). Both are counted by the caller.
import type { RetainedIndex } from './retained-index.ts';

export interface ClientBoundsConfig {
  /** subscriptions one connection may hold; 0: no bound */
  maxSubscriptionsPerClient: number;
  /** retained topics whose message one client id published last; 0: no bound */
  maxRetainedTopicsPerClient: number;
}

export type BoundRefusal = 'subscriptions_per_client' | 'retained_topics_per_client';

export interface ClientBounds {
  /** a retained publish from clientId; true when it may be stored */
  admitRetained(clientId: string, packet: { topic: string; payload: Buffer | string; retain: boolean }): boolean;
  /** a filter the client is allowed to subscribe to; true (and counted) unless it is one too many */
  admitSubscription(client: object, filter: string): boolean;
  unsubscribed(client: object, filters: string[]): void;
}

/** `retained` is null when retained messages live elsewhere (Redis): then that bound is not kept. */
export function createClientBounds(config: ClientBoundsConfig, retained: RetainedIndex | null): ClientBounds {
  const subscriptions = new WeakMap<object, Set<string>>();
  return {
    admitRetained(clientId, packet) {
      const max = config.maxRetainedTopicsPerClient;
      if (!packet.retain || max === 0 || !retained || packet.payload.length === 0) return true;
      if (retained.get(packet.topic)?.clientId === clientId) return true;
      return retained.ownedBy(clientId) < max;
    },
    admitSubscription(client, filter) {
      const max = config.maxSubscriptionsPerClient;
      if (max === 0) return true;
      let filters = subscriptions.get(client);
      if (!filters) subscriptions.set(client, (filters = new Set()));
      if (filters.has(filter)) return true;
      if (filters.size >= max) return false;
      filters.add(filter);
      return true;
    },
    unsubscribed(client, filters) {
      const held = subscriptions.get(client);
      if (held) for (const filter of filters) held.delete(filter);
    },
  };
}
