// What the SSE and polling transports share: the filter set, pending subscribe answers,
// state changes, backoff and publishing over HTTP. Each transport only opens its stream with the current filters.
import { backoffDelayMs } from './backoff.ts';
import { createListeners, type LiveMessage, type LiveSource, type LiveSourceDeps, type LiveState, type PublishOptions, type SubscribeResult } from './live-source.ts';
import type { WireSubscribed } from './wire.ts';

export function createStreamBase(deps: LiveSourceDeps, open: (filters: string[]) => void, shut: () => void) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const messages = createListeners<LiveMessage>();
  const states = createListeners<LiveState>();
  const filters = new Set<string>();
  const waiting = new Map<string, Array<(r: SubscribeResult) => void>>();
  let state: LiveState = { kind: 'offline', reason: 'not started' };
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let started = false;
  let closed = false;

  function setState(next: LiveState): void {
    state = next;
    states.emit(next);
  }
  function reopen(): void {
    if (!started || closed) return;
    clearTimeout(retryTimer);
    retryTimer = undefined;
    shut();
    setState({ kind: 'connecting' });
    open([...filters]);
  }
  return {
    messages,
    states,
    get state() {
      return state;
    },
    now,
    isClosed: () => closed,
    start(): void {
      started = true;
      reopen();
    },
    opened(answer: WireSubscribed): void {
      attempt = 0;
      if (state.kind !== 'connected') setState({ kind: 'connected' });
      for (const f of answer.granted) for (const r of waiting.get(f)?.splice(0) ?? []) r({ ok: true });
      for (const f of answer.refused) {
        filters.delete(f);
        for (const r of waiting.get(f)?.splice(0) ?? []) r({ ok: false, reason: 'refused', detail: 'refused by the broker (ACL)' });
      }
    },
    failed(reason: string, status?: number): void {
      shut();
      if (closed) return;
      if (status === 401) return setState({ kind: 'unauthorized', reason });
      const delayMs = backoffDelayMs(attempt++, random);
      setState({ kind: 'reconnecting', attempt, retryAtMs: now() + delayMs, reason });
      retryTimer = setTimeout(reopen, delayMs);
    },
    subscribe(filter: string): Promise<SubscribeResult> {
      return new Promise((resolve) => {
        waiting.set(filter, [...(waiting.get(filter) ?? []), resolve]);
        if (filters.has(filter) && state.kind === 'connected') return resolve({ ok: true });
        filters.add(filter);
        reopen();
      });
    },
    unsubscribe(filter: string): void {
      if (filters.delete(filter)) reopen();
    },
    close(): void {
      closed = true;
      clearTimeout(retryTimer);
      shut();
      setState({ kind: 'offline', reason: 'closed' });
      messages.clear();
      states.clear();
    },
  };
}

/**
 * Publishing for the fallbacks: POST /api/publish, checked by the broker like an MQTT PUBLISH
 * (ACL, rate, size), so commands work where WebSocket is blocked. The answer's message is the error.
 */
export async function publishOverHttp(deps: LiveSourceDeps, topic: string, payload: string, options: PublishOptions = {}): Promise<void> {
  const res = await fetch(new URL('/api/publish', deps.baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${deps.getToken() ?? ''}` },
    body: JSON.stringify({ topic, payload, qos: options.qos ?? 1, retain: options.retain ?? false }),
  });
  if (res.ok) return;
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  throw new Error(body.message ?? `publish answered ${res.status}`);
}

/** The LiveSource that SSE and polling present on top of their stream base; publishing goes over HTTP. */
export function streamSource(kind: LiveSource['kind'], base: ReturnType<typeof createStreamBase>, deps: LiveSourceDeps, onClose: () => void = () => {}): LiveSource {
  return {
    kind,
    canPublish: true,
    get state() {
      return base.state;
    },
    connect: base.start,
    subscribe: base.subscribe,
    unsubscribe: async (f) => base.unsubscribe(f),
    publish: (topic, payload, options) => publishOverHttp(deps, topic, payload, options),
    onMessage: base.messages.add,
    onState: base.states.add,
    close: async () => {
      onClose();
      base.close();
    },
  };
}
