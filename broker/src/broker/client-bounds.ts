// Per-client bounds on what a client can make the broker hold beyond its own connection: the
// subscriptions it has (a console subscribing to 100,000 filters held +114 MB) and the retained
// topics it owns (a device publishing retained messages on 100,000 of its replies/# topics held
// +176 MB). A refused SUBSCRIBE filter gets 0x80 [MQTT-3.9.3-2]; a refused retained publish is
// treated like a forbidden one (acknowledged, not routed). Every refusal is counted.
import type { RetainedIndex } from './retained-index.ts';
import type { ClientRef, ConnectionContext } from './types.ts';

export interface ClientBoundsConfig {
  /** subscriptions one connection may hold; 0: no bound */
  maxSubscriptionsPerClient: number;
  /** retained topics whose message one client id published last; 0: no bound */
  maxRetainedTopicsPerClient: number;
}

export type BoundRefusal = 'subscriptions-per-client' | 'retained-topics-per-client';

export interface ClientBoundsOptions {
  config: ClientBoundsConfig;
  refuse(reason: BoundRefusal, client: ClientRef): void;
}

export interface ClientBounds {
  /** an allowed publish; false (counted) when it is a retained one on a topic too many. When true, a retained packet is tagged with its owner. */
  admitRetained(client: ClientRef, packet: { topic: string; payload: Buffer | string; retain: boolean; clientId?: string }): boolean;
  /** an allowed subscription; false (counted) when it is one too many for this connection; true marks it granted */
  admitSubscription(client: ClientRef, subscription: { topic: string }): boolean;
  /** subscriptions admitted: the only ones a persistence may store (conformance.ts storeOnlyGranted) */
  readonly granted: WeakSet<object>;
  unsubscribed(client: ClientRef, filters: string[]): void;
}

/** `retained` is null when retained messages live elsewhere (Redis): then that bound is not kept. */
export function createClientBounds(options: ClientBoundsOptions | undefined, retained: RetainedIndex | null): ClientBounds {
  const maxSubscriptions = options?.config.maxSubscriptionsPerClient ?? 0;
  const maxRetained = retained ? (options?.config.maxRetainedTopicsPerClient ?? 0) : 0;
  const subscriptions = new WeakMap<ConnectionContext, Set<string>>();
  const granted = new WeakSet<object>();

  function withinSubscriptionBound(client: ClientRef, filter: string): boolean {
    if (maxSubscriptions === 0) return true;
    let filters = subscriptions.get(client.context);
    if (!filters) subscriptions.set(client.context, (filters = new Set()));
    if (filters.has(filter)) return true;
    if (filters.size >= maxSubscriptions) return false;
    filters.add(filter);
    return true;
  }

  function retainedAllowed(clientId: string, packet: { topic: string; payload: Buffer | string }): boolean {
    if (maxRetained === 0 || packet.payload.length === 0 || retained!.get(packet.topic)?.clientId === clientId) return true;
    return retained!.ownedBy(clientId) < maxRetained;
  }

  return {
    admitRetained(client, packet) {
      if (!packet.retain) return true;
      if (!retainedAllowed(client.id, packet)) {
        options!.refuse('retained-topics-per-client', client);
        return false;
      }
      // the owner, stored with the message: aedes copies the packet's own fields into the one it
      // stores (it sets clientId itself only after storing)
      packet.clientId = client.id;
      return true;
    },
    admitSubscription(client, subscription) {
      if (!withinSubscriptionBound(client, subscription.topic)) {
        options!.refuse('subscriptions-per-client', client);
        return false;
      }
      granted.add(subscription);
      return true;
    },
    granted,
    unsubscribed(client, filters) {
      const held = subscriptions.get(client.context);
      if (held) for (const filter of filters) held.delete(filter);
    },
  };
}
