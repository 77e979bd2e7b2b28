// One interface for every live transport (MQTT over WebSocket, Server-Sent Events, long polling),
// so components and stores never know which one carries the data.

export type TransportKind = 'mqtt' | 'sse' | 'poll';

export type LiveState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number; retryAtMs: number; reason: string }
  | { kind: 'offline'; reason: string }
  /** the server refused the credentials: the session is over */
  | { kind: 'unauthorized'; reason: string };

export interface LiveMessage {
  topic: string;
  payload: Uint8Array;
  retain: boolean;
  /** epoch ms on arrival in the browser */
  receivedAtMs: number;
}

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
}

export type SubscribeResult = { ok: true } | { ok: false; reason: 'refused' | 'error'; detail: string };

export interface LiveSource {
  readonly kind: TransportKind;
  readonly canPublish: boolean;
  readonly state: LiveState;
  connect(): void;
  /** resolves once the server answered (SUBACK, or the stream opened) */
  subscribe(filter: string): Promise<SubscribeResult>;
  unsubscribe(filter: string): Promise<void>;
  /** QoS 1, not retained, unless told otherwise; rejects with the reason when refused */
  publish(topic: string, payload: string, options?: PublishOptions): Promise<void>;
  onMessage(handler: (message: LiveMessage) => void): () => void;
  onState(handler: (state: LiveState) => void): () => void;
  close(): Promise<void>;
}

/** What every transport gets: the current token (re-read on every attempt) and a clock. */
export interface LiveSourceDeps {
  /** page origin, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  getToken(): string | null;
  now?: () => number;
  random?: () => number;
}

/** Small typed fan-out shared by the transports. */
export function createListeners<T>() {
  const set = new Set<(value: T) => void>();
  return {
    add(fn: (value: T) => void): () => void {
      set.add(fn);
      return () => set.delete(fn);
    },
    emit(value: T): void {
      for (const fn of set) fn(value);
    },
    clear: () => set.clear(),
  };
}
