// A LiveSource in memory for unit tests of one module: the test drives messages and answers.
import type { LiveMessage, LiveSource, LiveState, SubscribeResult } from '../src/live/live-source.ts';

export interface FakeSource extends LiveSource {
  subscribed: string[];
  unsubscribed: string[];
  published: Array<{ topic: string; payload: string }>;
  /** filters the fake refuses, as a broker ACL would */
  refuse: Set<string>;
  deliver(topic: string, payload: string | Uint8Array, receivedAtMs?: number): void;
  setState(state: LiveState): void;
}

export function createFakeSource(): FakeSource {
  const onMessage = new Set<(m: LiveMessage) => void>();
  const onState = new Set<(s: LiveState) => void>();
  let state: LiveState = { kind: 'offline', reason: 'not started' };
  const fake: FakeSource = {
    kind: 'mqtt',
    canPublish: true,
    get state() {
      return state;
    },
    subscribed: [],
    unsubscribed: [],
    published: [],
    refuse: new Set(),
    connect() {
      fake.setState({ kind: 'connected' });
    },
    async subscribe(filter): Promise<SubscribeResult> {
      fake.subscribed.push(filter);
      return fake.refuse.has(filter) ? { ok: false, reason: 'refused', detail: 'refused by the broker (SUBACK 0x80)' } : { ok: true };
    },
    async unsubscribe(filter) {
      fake.unsubscribed.push(filter);
    },
    async publish(topic, payload) {
      fake.published.push({ topic, payload });
    },
    onMessage(h) {
      onMessage.add(h);
      return () => onMessage.delete(h);
    },
    onState(h) {
      onState.add(h);
      return () => onState.delete(h);
    },
    async close() {
      onMessage.clear();
    },
    deliver(topic, payload, receivedAtMs = Date.now()) {
      const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
      for (const h of onMessage) h({ topic, payload: bytes, retain: false, receivedAtMs });
    },
    setState(next) {
      state = next;
      for (const h of onState) h(next);
    },
  };
  return fake;
}

export function memoryStorage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}

/** An unsigned JWT with the given claims (the console reads claims, the broker verifies). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.sig`;
}
