// The one live connection of the app (held in a shallowRef: Vue must not proxy a client) and its state.
import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import { useServices } from '../services.ts';
import { createLiveHub, type LiveHub, type Watch } from '../live/hub.ts';
import type { LiveMessage, LiveState, PublishOptions, SubscribeResult } from '../live/live-source.ts';
import { useSessionStore } from './session.ts';

export type { LiveState };

export const useLiveStore = defineStore('live', () => {
  const session = useSessionStore();
  const services = useServices();
  const hub = shallowRef<LiveHub | null>(null);
  const state = shallowRef<LiveState>({ kind: 'offline', reason: 'not started' });
  const isConnected = computed(() => state.value.kind === 'connected');
  /** commands are sent only while connected: a command into a dead connection would look sent */
  const canPublish = computed(() => (hub.value?.source.canPublish ?? false) && isConnected.value);
  const transport = computed(() => hub.value?.source.kind ?? null);
  /** filters a page watches that the broker refused, with why (from the API: a SUBACK has no reason) */
  const refusals = shallowRef<ReadonlyMap<string, string>>(new Map());
  let stopState: (() => void) | undefined;

  function start(): void {
    if (hub.value) return;
    const source = services.createSource({ getToken: () => session.token });
    stopState = source.onState((next) => {
      state.value = next;
      if (next.kind === 'unauthorized') session.refused(next.reason);
      // A browser hides why a WebSocket handshake failed; the API tells whether the token is still
      // good (a 401 there ends the session with a message), so a dead token does not retry forever.
      if (next.kind === 'reconnecting' && next.reason === 'connection failed') void session.api.devices().catch(() => undefined);
    });
    hub.value = createLiveHub(source);
    source.connect();
  }

  async function stop(): Promise<void> {
    const h = hub.value;
    hub.value = null;
    stopState?.();
    state.value = { kind: 'offline', reason: 'logged out' };
    refusals.value = new Map();
    await h?.close();
  }

  /** The broker's reason for refusing `filter`, asked only after a refusal; the plain refusal if the API cannot say. */
  async function explainRefusal(filter: string, refusal: SubscribeResult & { ok: false }): Promise<SubscribeResult> {
    try {
      const check = await session.api.subscriptionCheck(filter);
      // allowed by every rule the API knows: the refusal came from a limit the check names
      return { ...refusal, detail: check.verdict === 'allowed' ? `refused by the broker although ${check.message}` : check.message };
    } catch {
      return refusal;
    }
  }

  function setRefusal(filter: string, detail: string | null): void {
    if (detail === null && !refusals.value.has(filter)) return;
    const next = new Map(refusals.value);
    if (detail === null) next.delete(filter);
    else next.set(filter, detail);
    refusals.value = next;
  }

  /** Watches a filter on the live connection; handlers get every matching message. A refusal carries its reason. */
  function watch(filter: string, handler: (message: LiveMessage) => void): Watch {
    if (!hub.value) return { result: Promise.resolve({ ok: false, reason: 'error', detail: 'not connected' }), stop: () => {} };
    const inner = hub.value.watch(filter, handler);
    let isStopped = false;
    const result = inner.result.then(async (r) => {
      if (r.ok || r.reason !== 'refused') return r;
      const explained = await explainRefusal(filter, r);
      if (!isStopped && !explained.ok) setRefusal(filter, explained.detail);
      return explained;
    });
    return {
      result,
      stop() {
        isStopped = true;
        inner.stop();
        setRefusal(filter, null);
      },
    };
  }

  async function publish(topic: string, payload: string, options?: PublishOptions): Promise<void> {
    if (!hub.value) throw new Error('not connected');
    await hub.value.source.publish(topic, payload, options);
  }

  return { hub, state, isConnected, canPublish, transport, refusals, start, stop, watch, publish };
});
