// SSE and long polling against the real broker: messages published by mosquitto_pub arrive;
// tokens and ACL decide who gets what.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import type { Identity } from '../../src/contract/index.ts';
import { registerLiveRoutes } from '../../src/live/index.ts';
import type { WirePollResponse, WireSubscribed } from '../../src/live/wire.ts';
import { createLogger } from '../../src/logger.ts';
import { startTestApp } from '../../../test/support/app.ts';
import { mosquittoPub } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';
import { metric, openSse, type SseEvent } from './helpers.ts';

const payloadOf = (e: SseEvent) => {
  const m = e.data as { topic: string; payload: string };
  return `${m.topic} ${Buffer.from(m.payload, 'base64').toString()}`;
};

test('SSE: a stream receives what devices publish, once, on every granted filter', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  const sse = await openSse(`${server.httpUrl}/sse?filter=devices/%2B/telemetry&filter=devices/d1/%23`);
  t.after(() => sse.close());
  assert.equal(sse.status, 200);
  await waitFor(() => sse.events.length === 1, 5000, 'subscribed event');
  assert.deepEqual(sse.events[0], { event: 'subscribed', data: { granted: ['devices/+/telemetry', 'devices/d1/#'], refused: [] } });

  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/telemetry', '{"temp":21.5}', { qos: 1 });
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d2/status', 'online', { qos: 1 });
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d2/telemetry', '{"temp":3}', { qos: 1 });
  await waitFor(() => sse.events.length === 3, 5000, 'two messages');
  assert.deepEqual(sse.events.slice(1).map(payloadOf), ['devices/d1/telemetry {"temp":21.5}', 'devices/d2/telemetry {"temp":3}']);

  const bad = await fetch(`${server.httpUrl}/sse`);
  assert.equal(bad.status, 400);
});

test('long polling: a session keeps messages between requests and a waiting request wakes on a message', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  const poll = async (session: string, waitMs: number): Promise<WirePollResponse> => {
    const res = await fetch(`${server.httpUrl}/api/poll?filter=devices/%2B/telemetry&waitMs=${waitMs}${session ? `&session=${session}` : ''}`);
    assert.equal(res.status, 200);
    return (await res.json()) as WirePollResponse;
  };
  const first = await poll('', 0);
  assert.deepEqual(first.granted, ['devices/+/telemetry']);
  assert.equal(first.messages.length, 0);

  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/telemetry', '{"n":1}', { qos: 1 });
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/telemetry', '{"n":2}', { qos: 1 });
  const second = await poll(first.session, 5000);
  assert.equal(second.session, first.session);
  assert.deepEqual(second.messages.map((m) => Buffer.from(m.payload, 'base64').toString()), ['{"n":1}', '{"n":2}']);

  const startedMs = Date.now();
  const waiting = poll(first.session, 20_000);
  await waitFor(async () => (await metric(server.httpUrl, 'telemq_live_poll_requests_waiting')) === 1, 5000, 'the request to wait');
  // subscribers get a telemetry message before its publisher's PUBACK, which waits for the ack log:
  // the publish is awaited too, so the broker is not closed under it
  const published = mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/telemetry', '{"n":3}', { qos: 1 });
  const third = await waiting;
  await published;
  assert.deepEqual(third.messages.map((m) => Buffer.from(m.payload, 'base64').toString()), ['{"n":3}']);
  assert.ok(Date.now() - startedMs < 15_000, 'the request returned on the message, not at the end of its wait');
});

test('both fallbacks: no token is 401, and filters outside the ACL are refused', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  // The real broker, behind an access control that knows one token and allows devices/# only.
  const access = {
    authenticateRequest: async (h: { authorization?: string }): Promise<Identity | null> => (h.authorization === 'Bearer t0ken' ? { subject: 'ops', role: 'console' } : null),
    acl: { canPublish: () => false, canSubscribe: (_i: Identity, f: string) => f.startsWith('devices/') },
  };
  const http = Fastify();
  const live = registerLiveRoutes(http, { broker: server.app.broker, access, log: createLogger('silent'), metrics: new Registry() });
  await http.listen({ port: 0, host: '127.0.0.1' });
  t.after(async () => {
    await live.close();
    await http.close();
  });
  const base = `http://127.0.0.1:${(http.server.address() as { port: number }).port}`;

  assert.equal((await fetch(`${base}/sse?filter=devices/%23`)).status, 401);
  assert.equal((await fetch(`${base}/api/poll?filter=devices/%23`)).status, 401);
  assert.equal((await fetch(`${base}/sse?filter=devices/%23&token=wrong`)).status, 401);

  const sse = await openSse(`${base}/sse?filter=%23&filter=devices/%2B/status&token=t0ken`);
  t.after(() => sse.close());
  await waitFor(() => sse.events.length === 1, 5000, 'subscribed event');
  assert.deepEqual(sse.events[0]!.data as WireSubscribed, { granted: ['devices/+/status'], refused: ['#'] });

  const res = await fetch(`${base}/api/poll?filter=%23&filter=devices/%2B/status`, { headers: { authorization: 'Bearer t0ken' } });
  const body = (await res.json()) as WirePollResponse;
  assert.deepEqual({ granted: body.granted, refused: body.refused }, { granted: ['devices/+/status'], refused: ['#'] });

  await mosquittoPub({ port: server.ports.mqtt }, 'other/topic', 'x', { qos: 1 });
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/status', 'online', { qos: 1 });
  await waitFor(() => sse.events.length === 2, 5000, 'status message');
  assert.equal(payloadOf(sse.events[1]!), 'devices/d1/status online');
});
