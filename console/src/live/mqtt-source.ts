// MQTT over WebSocket with MQTT.js: the console's one MQTT client. MQTT.js's own reconnect timer
// is fixed-period, so it is switched off (reconnectPeriod 0) and attempts are scheduled here with
// exponential backoff and full jitter; transformWsUrl puts the current token on every attempt's URL.
import mqtt, { type MqttClient } from 'mqtt';
import { backoffDelayMs, type BackoffOptions } from './backoff.ts';
import { createListeners, type LiveMessage, type LiveSource, type LiveSourceDeps, type LiveState, type SubscribeResult } from './live-source.ts';

export interface MqttSourceDeps extends LiveSourceDeps {
  /** WebSocket path (default /mqtt) */
  path?: string;
  backoff?: BackoffOptions;
  connectTimeoutMs?: number;
}

/** CONNACK codes that mean "these credentials will never work" [MQTT-3.2.2.3]. */
const refusedCodes = new Set([4, 5, 134, 135]);

export function withToken(url: string, token: string | null): string {
  const u = new URL(url);
  if (token) u.searchParams.set('token', token);
  else u.searchParams.delete('token');
  return u.toString();
}

export function createMqttSource(deps: MqttSourceDeps): LiveSource {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const wsUrl = new URL(deps.path ?? '/mqtt', deps.baseUrl.replace(/^http/, 'ws')).toString();
  const messages = createListeners<LiveMessage>();
  const states = createListeners<LiveState>();
  const filters = new Map<string, Promise<SubscribeResult>>();
  let state: LiveState = { kind: 'offline', reason: 'not started' };
  let client: MqttClient | null = null;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  function setState(next: LiveState): void {
    state = next;
    states.emit(next);
  }

  function sendSubscribe(filter: string): Promise<SubscribeResult> {
    return new Promise((resolve) => {
      if (!client) return resolve({ ok: false, reason: 'error', detail: 'not connected' });
      client.subscribe(filter, { qos: 0 }, (err, granted) => {
        // A refusal is SUBACK return code 0x80 [MQTT-3.9.3]; MQTT.js reports it as an error that
        // carries the SUBACK packet (older versions: .code, or qos 128 in the granted list).
        const failure = err as { code?: number; packet?: { granted?: number[] } } | null;
        const code = failure?.packet?.granted?.[0] ?? failure?.code ?? granted?.[0]?.qos;
        if (code !== undefined && code >= 0x80) {
          filters.delete(filter);
          resolve({ ok: false, reason: 'refused', detail: `refused by the broker (SUBACK 0x${code.toString(16)})` });
        } else if (err) resolve({ ok: false, reason: 'error', detail: err.message });
        else resolve({ ok: true });
      });
    });
  }

  function scheduleRetry(reason: string): void {
    if (closed || retryTimer) return;
    if (!deps.getToken()) return setState({ kind: 'unauthorized', reason: 'no token' });
    const delayMs = backoffDelayMs(attempt, random, deps.backoff);
    attempt += 1;
    setState({ kind: 'reconnecting', attempt, retryAtMs: now() + delayMs, reason });
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      setState({ kind: 'connecting' });
      client?.reconnect();
    }, delayMs);
  }

  function connect(): void {
    if (client || closed) return;
    setState({ kind: 'connecting' });
    client = mqtt.connect(wsUrl, {
      protocolVersion: 4,
      clean: true,
      clientId: `console-${random().toString(36).slice(2, 10)}`,
      reconnectPeriod: 0,
      connectTimeout: deps.connectTimeoutMs ?? 10_000,
      keepalive: 30,
      resubscribe: false,
      transformWsUrl: (url) => withToken(url, deps.getToken()),
    });
    client.on('connect', () => {
      attempt = 0;
      setState({ kind: 'connected' });
      // Subscriptions are ours to restore: the session is clean and MQTT.js's resubscribe needs its own timer.
      for (const filter of filters.keys()) filters.set(filter, sendSubscribe(filter));
    });
    client.on('message', (topic, payload, packet) => {
      messages.emit({ topic, payload, retain: packet.retain, receivedAtMs: now() });
    });
    client.on('error', (err) => {
      const code = (err as { code?: number }).code;
      if (code !== undefined && refusedCodes.has(code)) {
        closed = true;
        setState({ kind: 'unauthorized', reason: err.message });
        client?.end(true);
      }
    });
    client.on('close', () => {
      if (closed) return;
      scheduleRetry(state.kind === 'connected' ? 'connection lost' : 'connection failed');
    });
  }

  return {
    kind: 'mqtt',
    canPublish: true,
    get state() {
      return state;
    },
    connect,
    subscribe(filter) {
      const existing = filters.get(filter);
      if (existing) return existing;
      const pending = state.kind === 'connected' ? sendSubscribe(filter) : waitForConnect().then(() => filters.get(filter) ?? sendSubscribe(filter));
      filters.set(filter, pending);
      return pending;
    },
    async unsubscribe(filter) {
      filters.delete(filter);
      if (client && state.kind === 'connected') await client.unsubscribeAsync(filter).catch(() => undefined);
    },
    async publish(topic, payload, options = {}) {
      if (!client || state.kind !== 'connected') throw new Error('not connected');
      await client.publishAsync(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false });
    },
    onMessage: messages.add,
    onState: states.add,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      const c = client;
      client = null;
      if (c) await c.endAsync(true).catch(() => undefined);
      setState({ kind: 'offline', reason: 'closed' });
      messages.clear();
      states.clear();
    },
  };

  function waitForConnect(): Promise<void> {
    return new Promise((resolve) => {
      const stop = states.add((s) => {
        if (s.kind === 'connected') {
          stop();
          resolve();
        }
      });
    });
  }
}
