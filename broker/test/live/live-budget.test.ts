// The fallbacks under a memory budget, against the real broker: SSE streams end with their
// connection and count against their user's cap; polling sessions on one filter share one log of
// its messages, so abandoned ones hold nothing of their own; abandoned sessions under a flood stay
// within the per-session and shared byte bounds (read from /metrics), and pay for the budget
// themselves: a client that keeps polling loses nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import mqtt from 'mqtt';
import { mosquittoPub, mosquittoPubLines } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';
import { securedConfig, signToken } from '../auth/helpers.ts';
import { keepPolling, metric, openSse, poll, payloads } from './helpers.ts';

const telemetry = 'devices/+/telemetry';

test('an SSE stream ends when its connection closes: its subscription and slot are released', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  const sse = await openSse(`${server.httpUrl}/sse?filter=devices/%2B/telemetry`);
  t.after(() => sse.close());
  await waitFor(() => sse.events.length === 1, 5000, 'subscribed event');
  assert.equal(await metric(server.httpUrl, 'telemq_live_sse_streams'), 1);
  assert.equal(await metric(server.httpUrl, 'telemq_live_subscriptions'), 1);

  sse.close();
  await waitFor(async () => (await metric(server.httpUrl, 'telemq_live_sse_streams')) === 0, 5000, 'the stream to end');
  assert.equal(await metric(server.httpUrl, 'telemq_live_subscriptions'), 0);
  assert.equal(await metric(server.httpUrl, 'telemq_live_sessions_ended_total', { transport: 'sse', reason: 'closed' }), 1);
});

test("SSE streams and poll sessions share a user's cap: the oldest stream is ended", async (t) => {
  const server = await startTestApp(securedConfig({ live: { maxSessionsPerUser: 2 } }));
  t.after(() => server.close());
  const alice = await signToken({ sub: 'alice', role: 'console' });
  const bob = await signToken({ sub: 'bob', role: 'console' });
  const first = await openSse(`${server.httpUrl}/sse?filter=devices/%2B/telemetry&token=${alice}`);
  const second = await openSse(`${server.httpUrl}/sse?filter=devices/%2B/telemetry&token=${alice}`);
  const bobs = await openSse(`${server.httpUrl}/sse?filter=devices/%2B/telemetry&token=${bob}`);
  t.after(() => [first, second, bobs].forEach((s) => s.close()));
  await waitFor(() => first.events.length + second.events.length + bobs.events.length === 3, 5000, 'three subscribed events');

  await poll(server.httpUrl, { filters: [telemetry], token: alice });
  await first.ended;
  assert.equal(await metric(server.httpUrl, 'telemq_live_sessions_ended_total', { transport: 'sse', reason: 'user-cap' }), 1);
  assert.equal(await metric(server.httpUrl, 'telemq_live_sse_streams'), 2);
  await mosquittoPub({ port: server.ports.mqtt, clientId: 'd1', username: 'd1', password: await signToken({ sub: 'd1', role: 'device' }) }, 'devices/d1/telemetry', '{"n":1}', { qos: 1 });
  await waitFor(() => second.events.length === 2 && bobs.events.length === 2, 5000, 'the other streams still deliver');
});

test('poll sessions on one filter share its log: what 50 abandoned sessions hold is what one would', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, live: { pollGraceMs: 60_000, maxSessionsPerUser: 100 } });
  t.after(() => server.close());
  const sessions = await Promise.all(Array.from({ length: 50 }, () => poll(server.httpUrl, { filters: [telemetry] })));
  const lines = Array.from({ length: 10 }, (_, i) => `{"n":${i}}`);
  await mosquittoPubLines({ port: server.ports.mqtt }, 'devices/d1/telemetry', lines);
  // Each message is held once for all 50: 20 bytes of topic, 12 of base64 and 40 of JSON around them.
  // mosquitto_pub at QoS 1 is done once every line is acknowledged, so routed to every session.
  const first = await poll(server.httpUrl, { session: sessions[0]!.session, filters: [telemetry] });
  assert.deepEqual(payloads(first), lines);
  assert.equal(await metric(server.httpUrl, 'telemq_live_buffered_bytes'), lines.length * (20 + 12 + 40), 'held once, not once per session');
  assert.equal(await metric(server.httpUrl, 'telemq_live_buffered_bytes_peak'), lines.length * (20 + 12 + 40));
  const rest = await Promise.all(sessions.slice(1).map((s) => poll(server.httpUrl, { session: s.session, filters: [telemetry] })));
  for (const r of rest) assert.deepEqual(payloads(r), lines, 'every session gets every message');
  await waitFor(async () => (await metric(server.httpUrl, 'telemq_live_buffered_bytes')) === 0, 5000, 'the log to let go of what all have read');
  assert.equal(await metric(server.httpUrl, 'telemq_live_dropped_total'), 0);
});

test('abandoned poll sessions under a flood stay within the byte bounds and pay for the budget; a live client loses nothing', async (t) => {
  const live = { budgetBytes: 1024 * 1024, maxSessionBytes: 256 * 1024, pollGraceMs: 60_000, maxSessionsPerUser: 100 };
  // No publish rate limit and no bridge: the flood goes as fast as MQTT.js sends it.
  const server = await startTestApp({ auth: { mode: 'none' }, guards: { publishRatePerSec: 0 }, bridge: { enabled: false }, live });
  t.after(() => server.close());
  // Sessions on one filter share its log: the abandoned ones ask for 12 other filters that match
  // the same topics (and 8 for the live client's), so that 13 logs hold the flood.
  const others = ['#', '+/#', 'devices/#', '+/+/#', 'devices/+/#', '+/+/+', 'devices/+/+', '+/+/telemetry', '+/+/telemetry/#', 'devices/+/telemetry/#', '+/+/+/#', 'devices/+/+/#'];
  const filters = [...others, ...Array.from({ length: 8 }, () => telemetry)];
  const abandoned = await Promise.all(filters.map((f) => poll(server.httpUrl, { filters: [f] })));
  const keeper = await poll(server.httpUrl, { filters: [telemetry] });
  const client = keepPolling(server.httpUrl, keeper.session, [telemetry]);
  t.after(() => client.stop());

  // 13 logs × 5,000 messages of ~190 wire bytes: twelve times what the budget holds. The live
  // client's few messages between requests stay well under its share (1 MiB / 13 logs).
  const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ n: i, temp: 21.5, humidity: 40.25, pad: 'x'.repeat(80) }));
  const publisher = await mqtt.connectAsync(server.mqttUrl, { reconnectPeriod: 0 });
  t.after(() => publisher.endAsync(true));
  // In bursts of 100, as devices publish, rather than 5,000 at once: a burst longer than a poll
  // round trip would be lost by any client, abandoned or not.
  for (let i = 0; i < lines.length; i++) {
    if (i % 100 === 99) await publisher.publishAsync('devices/d1/telemetry', lines[i]!, { qos: 1 });
    else publisher.publish('devices/d1/telemetry', lines[i]!, { qos: 0 });
  }
  // One connection delivers in order: the marker comes after every line.
  await publisher.publishAsync('devices/marker/telemetry', 'marker', { qos: 1 });
  await waitFor(() => client.received.includes('marker'), 20_000, 'the marker at the live client');
  assert.equal(client.received.length, lines.length + 1, 'every message reached the client that keeps polling');
  assert.equal(client.dropped, 0);

  const peak = await metric(server.httpUrl, 'telemq_live_buffered_bytes_peak');
  assert.ok(peak <= live.budgetBytes, `all sessions together held at most the budget (${peak})`);
  assert.ok(peak > live.budgetBytes - 1024, `the budget was reached (${peak})`);
  assert.ok((await metric(server.httpUrl, 'telemq_live_session_bytes_peak')) <= live.maxSessionBytes, 'one session held at most its bound');
  assert.equal(await metric(server.httpUrl, 'telemq_live_dropped_total'), 0, 'the live client lost nothing, the others have not been told yet');

  // The abandoned sessions come back once: each lost messages, counted by reason when it is told.
  const answers = await Promise.all(abandoned.map((a, i) => poll(server.httpUrl, { session: a.session, filters: [filters[i]!] })));
  for (const a of answers) {
    assert.ok(a.dropped > 0, `${a.granted[0]} lost messages`);
    assert.equal(payloads(a).at(-1), 'marker', 'a full queue keeps the newest');
    assert.ok(JSON.stringify(a.messages).length <= live.maxSessionBytes);
  }
  const byBudget = await metric(server.httpUrl, 'telemq_live_dropped_total', { transport: 'poll', reason: 'budget' });
  assert.ok(byBudget > 0);
  assert.equal(await metric(server.httpUrl, 'telemq_live_dropped_total'), answers.reduce((n, a) => n + a.dropped, 0));
});

test("a session's own bound drops its oldest, counted as session-queue-full when the client is told", async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, live: { maxSessionMessages: 2 } });
  t.after(() => server.close());
  const first = await poll(server.httpUrl, { filters: [telemetry] });
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/telemetry', '1', { qos: 1 });
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/telemetry', '2', { qos: 1 });
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/telemetry', '3', { qos: 1 });
  assert.equal(await metric(server.httpUrl, 'telemq_live_dropped_total'), 0, 'not counted before a client is told');
  const next = await poll(server.httpUrl, { session: first.session, filters: [telemetry] });
  assert.deepEqual(payloads(next), ['2', '3']);
  assert.equal(next.dropped, 1);
  assert.equal(await metric(server.httpUrl, 'telemq_live_dropped_total', { transport: 'poll', reason: 'session-queue-full' }), 1);
});
