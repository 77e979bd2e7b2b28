// The one live connection of the app (held in a shallowRef: Vue must not proxy a client) and its state.
import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import { useServices } from '../services.ts';
import { createLiveHub, type LiveHub, type Watch } from '../live/hub.ts';
import type { LiveMessage, LiveState, PublishOptions } from '../live/live-source.ts';
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
    await h?.close();
  }

  /** Watches a filter on the live connection; handlers get every matching message. */
  function watch(filter: string, handler: (message: LiveMessage) => void): Watch {
    if (!hub.value) return { result: Promise.resolve({ ok: false, reason: 'error', detail: 'not connected' }), stop: () => {} };
    return hub.value.watch(filter, handler);
  }

  async function publish(topic: string, payload: string, options?: PublishOptions): Promise<void> {
    if (!hub.value) throw new Error('not connected');
    await hub.value.source.publish(topic, payload, options);
  }

  return { hub, state, isConnected, canPublish, transport, start, stop, watch, publish };
});
