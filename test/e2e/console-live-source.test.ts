// The console's MQTT live source (console/src/live/mqtt-source.ts) against the real broker, run
// in Node: the token is re-read on every attempt, reconnects back off with jitter, and
// subscriptions come back by themselves after the broker returns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveMessage, LiveState } from '../../console/src/live/live-source.ts';
import { createMqttSource, withToken } from '../../console/src/live/mqtt-source.ts';
import { startTestApp } from '../support/app.ts';
import { brokerConfig, signToken } from './console-harness.ts';
import { mosquittoPub } from '../support/mosquitto-clients.ts';
import { waitFor } from '../support/net.ts';
import { tempDirFor } from '../support/temp-dir.ts';

test('withToken puts the token on the URL, replacing an old one', () => {
  assert.equal(withToken('ws://h:1/mqtt', 'a.b.c'), 'ws://h:1/mqtt?token=a.b.c');
  assert.equal(withToken('ws://h:1/mqtt?token=old&x=1', 'new'), 'ws://h:1/mqtt?token=new&x=1');
  assert.equal(withToken('ws://h:1/mqtt?token=old', null), 'ws://h:1/mqtt');
});

test('MQTT source: fresh token per attempt, backoff while the broker is away, subscriptions restored', async (t) => {
  const dataDir = tempDirFor(t, 'telemq-live-');
  const first = await startTestApp({ auth: { mode: 'none' } }, { dataDir });
  t.after(() => first.close());
  const httpPort = first.ports.http;

  const tokens: string[] = [];
  const source = createMqttSource({
    baseUrl: first.httpUrl,
    getToken: () => {
      tokens.push(`t${tokens.length}`);
      return tokens.at(-1)!;
    },
    backoff: { baseMs: 200, capMs: 800, floorMs: 50 },
    connectTimeoutMs: 2000,
  });
  t.after(() => source.close());
  const states: LiveState[] = [];
  const messages: LiveMessage[] = [];
  source.onState((s) => states.push(s));
  source.onMessage((m) => messages.push(m));
  source.connect();
  assert.deepEqual(await source.subscribe('devices/+/telemetry'), { ok: true });
  await mosquittoPub({ port: first.ports.mqtt }, 'devices/d1/telemetry', '{"n":1}', { qos: 1 });
  await waitFor(() => messages.length === 1, 5000, 'first message');
  const tokensBefore = tokens.length;

  await first.close();
  await waitFor(() => states.filter((s) => s.kind === 'reconnecting').length >= 3, 15_000, 'three reconnect attempts');
  const waits = states.flatMap((s) => (s.kind === 'reconnecting' ? [s] : []));
  assert.deepEqual(waits.slice(0, 3).map((s) => s.attempt), [1, 2, 3]);
  assert.ok(tokens.length > tokensBefore + 1, 'each attempt asked for the token again');

  const second = await startTestApp({ auth: { mode: 'none' }, transport: { httpPort } }, { dataDir });
  t.after(() => second.close());
  await waitFor(() => source.state.kind === 'connected', 15_000, 'reconnected');
  // The subscription is restored by the source: a new message arrives without subscribing again.
  await waitFor(async () => {
    await mosquittoPub({ port: second.ports.mqtt }, 'devices/d1/telemetry', '{"n":2}', { qos: 1 });
    return messages.some((m) => Buffer.from(m.payload).toString() === '{"n":2}');
  }, 10_000, 'message after reconnect');
});

test('MQTT source: a filter outside the ACL is refused (SUBACK 0x80), an allowed one granted', async (t) => {
  const server = await startTestApp(brokerConfig());
  t.after(() => server.close());
  const token = await signToken({ sub: 'viewer', role: 'console' });
  const source = createMqttSource({ baseUrl: server.httpUrl, getToken: () => token });
  t.after(() => source.close());
  source.connect();
  assert.deepEqual(await source.subscribe('#'), { ok: false, reason: 'refused', detail: 'refused by the broker (SUBACK 0x80)' });
  assert.deepEqual(await source.subscribe('devices/+/status'), { ok: true });
  assert.equal(source.state.kind, 'connected');
});
