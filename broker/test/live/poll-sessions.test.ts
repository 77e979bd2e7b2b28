// The life of a long-polling session against the real broker: filters changed in place, closed by
// id (as navigator.sendBeacon does), stopping and being forgotten when nobody asks, per-user caps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../../../test/support/app.ts';
import { mosquittoPub, mosquittoPubLines } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';
import { deviceToken, securedConfig, signToken } from '../auth/helpers.ts';
import { keepPolling, metric, payloads, poll, pollRequest } from './helpers.ts';

const telemetry = 'devices/+/telemetry';
const status = 'devices/+/status';

test('a filter change updates the session in place: same session, new subscriptions, old ones gone', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  const first = await poll(server.httpUrl, { filters: [telemetry] });
  assert.equal(await metric(server.httpUrl, 'telemq_live_subscriptions'), 1);

  const changed = await poll(server.httpUrl, { session: first.session, filters: [status], waitMs: 20_000 });
  assert.equal(changed.session, first.session, 'the same session');
  assert.deepEqual({ granted: changed.granted, refused: changed.refused }, { granted: [status], refused: [] });
  assert.equal(changed.gap, undefined);
  assert.equal(await metric(server.httpUrl, 'telemq_live_subscriptions'), 1, 'the telemetry subscription is gone');

  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/telemetry', '{"n":1}', { qos: 1 });
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/status', 'online', { qos: 1 });
  const next = await poll(server.httpUrl, { session: first.session, filters: [status], waitMs: 5000 });
  assert.deepEqual(payloads(next), ['online'], 'only the new filter delivers (telemetry was routed first)');
  assert.equal(await metric(server.httpUrl, 'telemq_live_poll_sessions'), 1);
});

test('a waiting request woken by a message answers with all that came within live.pollBatchMs: a request per batch, not per message', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, live: { pollBatchMs: 1000 } });
  t.after(() => server.close());
  const first = await poll(server.httpUrl, { filters: [status] });
  const publisher = await mqtt.connectAsync(server.mqttUrl, { reconnectPeriod: 0 });
  t.after(() => publisher.endAsync(true));
  const waiting = poll(server.httpUrl, { session: first.session, filters: [status], waitMs: 20_000 });
  await waitFor(async () => (await metric(server.httpUrl, 'telemq_live_poll_requests_waiting')) === 1, 5000, 'the request to wait');
  // Each PUBACK comes once the message is routed: the second is published after the first woke the request.
  await publisher.publishAsync('devices/d1/status', 'one', { qos: 1 });
  await publisher.publishAsync('devices/d2/status', 'two', { qos: 1 });
  assert.deepEqual(payloads(await waiting), ['one', 'two']);
  assert.equal(await metric(server.httpUrl, 'telemq_live_poll_requests_waiting'), 0);
});

test('POST /api/poll/close ends a session at once, by its id alone, whatever body a beacon sends', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  const token = await signToken({ sub: 'alice', role: 'console' });
  const first = await poll(server.httpUrl, { filters: [telemetry], token });
  const other = await poll(server.httpUrl, { filters: [telemetry], token });
  assert.equal(await metric(server.httpUrl, 'telemq_live_poll_sessions'), 2);

  const close = (session: string, init: RequestInit) => fetch(`${server.httpUrl}/api/poll/close?session=${session}`, { method: 'POST', ...init });
  assert.equal((await close(first.session, { body: 'bye', headers: { 'content-type': 'text/plain;charset=UTF-8' } })).status, 204);
  assert.equal((await close(other.session, { body: new URLSearchParams({ a: 'b' }) })).status, 204);
  assert.equal((await close('no-such-session', { body: '{not json', headers: { 'content-type': 'application/json' } })).status, 204);
  assert.equal(await metric(server.httpUrl, 'telemq_live_poll_sessions'), 0);
  assert.equal(await metric(server.httpUrl, 'telemq_live_subscriptions'), 0);
  assert.equal(await metric(server.httpUrl, 'telemq_live_sessions_ended_total', { transport: 'poll', reason: 'closed' }), 2);

  const again = await poll(server.httpUrl, { session: first.session, filters: [telemetry], token });
  assert.notEqual(again.session, first.session, 'a closed session is gone');
  assert.equal(again.gap, true, 'and the client is told messages may be missing');
});

test('a session nobody asks for stops receiving; what it held is uncollected, not dropped; then it is forgotten', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, live: { pollGraceMs: 1500, sessionIdleMs: 4000 } });
  t.after(() => server.close());
  const live = await poll(server.httpUrl, { filters: [telemetry] });
  const gone = await poll(server.httpUrl, { filters: [telemetry] });
  // The live client keeps a request waiting; the other never comes back (until later).
  const live$ = keepPolling(server.httpUrl, live.session, [telemetry]);
  t.after(() => live$.stop());
  await mosquittoPubLines({ port: server.ports.mqtt }, 'devices/d1/telemetry', ['{"n":1}', '{"n":2}', '{"n":3}']);
  await waitFor(() => live$.received.length === 3, 5000, 'the live client to get three messages');
  assert.ok((await metric(server.httpUrl, 'telemq_live_buffered_bytes')) > 0, 'the absent session holds messages');

  await waitFor(async () => (await metric(server.httpUrl, 'telemq_live_poll_sessions_receiving')) === 1, 10_000, 'the absent session to stop receiving');
  assert.equal(await metric(server.httpUrl, 'telemq_live_uncollected_total', { transport: 'poll' }), 3);
  assert.equal(await metric(server.httpUrl, 'telemq_live_dropped_total'), 0, 'not counted as drops of a live client');
  assert.equal(await metric(server.httpUrl, 'telemq_live_buffered_bytes'), 0);

  // Published while it was stopped: the live session gets it, the stopped one never will.
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/telemetry', '{"n":4}', { qos: 1 });
  await waitFor(() => live$.received.length === 4, 5000, 'the fourth message');
  const back = await poll(server.httpUrl, { session: gone.session, filters: [telemetry], waitMs: 20_000 });
  assert.equal(back.session, gone.session, 'within the idle timeout the session is still there');
  assert.equal(back.gap, true, 'and says messages are missing');
  assert.deepEqual(back.messages, []);
  assert.equal(await metric(server.httpUrl, 'telemq_live_poll_sessions_receiving'), 2, 'receiving again');

  await live$.stop();
  await waitFor(async () => (await metric(server.httpUrl, 'telemq_live_poll_sessions')) === 0, 20_000, 'both sessions forgotten');
  assert.equal(await metric(server.httpUrl, 'telemq_live_sessions_ended_total', { reason: 'idle' }), 2);
  assert.equal(await metric(server.httpUrl, 'telemq_live_subscriptions'), 0);
});

test("a user past the per-user cap loses their own oldest session, never another user's; a full broker refuses until a session is abandoned", async (t) => {
  const server = await startTestApp(securedConfig({ live: { maxSessionsPerUser: 2, maxSessions: 3, pollGraceMs: 1000 } }));
  t.after(() => server.close());
  const alice = await signToken({ sub: 'alice', role: 'console' });
  const bob = await signToken({ sub: 'bob', role: 'console' });
  const carol = await signToken({ sub: 'carol', role: 'console' });
  const open = (token: string, session?: string) => poll(server.httpUrl, { filters: [telemetry], token, ...(session ? { session } : {}) });

  const b1 = await open(bob);
  const a1 = await open(alice);
  const a2 = await open(alice);
  const a3 = await open(alice);
  assert.equal(await metric(server.httpUrl, 'telemq_live_sessions_ended_total', { transport: 'poll', reason: 'user-cap' }), 1);
  assert.equal((await open(bob, b1.session)).session, b1.session, "bob's session is untouched");
  assert.equal((await open(alice, a3.session)).session, a3.session);
  assert.equal((await open(alice, a2.session)).session, a2.session);
  assert.equal(await metric(server.httpUrl, 'telemq_live_poll_sessions'), 3, `alice's first session ${a1.session} is gone`);

  const refused = await pollRequest(server.httpUrl, { filters: [telemetry], token: carol });
  assert.equal(refused.status, 503, 'every slot is in use by clients that are still asking');
  assert.equal(await metric(server.httpUrl, 'telemq_live_sessions_refused_total', { transport: 'poll' }), 1);
  await waitFor(async () => (await metric(server.httpUrl, 'telemq_live_poll_sessions_receiving')) === 0, 10_000, 'the sessions to stop receiving');
  const c1 = await open(carol);
  assert.equal(await metric(server.httpUrl, 'telemq_live_sessions_ended_total', { transport: 'poll', reason: 'evicted' }), 1);

  // A session id is a capability of its user only: bob's id in carol's request is a new session.
  const stolen = await open(carol, b1.session);
  assert.notEqual(stolen.session, b1.session);
  assert.notEqual(stolen.session, c1.session);
  await mosquittoPub({ port: server.ports.mqtt, clientId: 'd1', username: 'd1', password: await deviceToken('d1') }, 'devices/d1/telemetry', '{"n":1}', { qos: 1 });
  const mine = await poll(server.httpUrl, { session: stolen.session, filters: [telemetry], token: carol, waitMs: 5000 });
  assert.deepEqual(payloads(mine), ['{"n":1}']);
});
