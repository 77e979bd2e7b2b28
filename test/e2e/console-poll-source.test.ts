// The console's long-polling source (console/src/live/poll-source.ts) against the real broker, run
// in Node: changing its filters keeps its one session on the broker instead of opening another.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveMessage } from '../../console/src/live/live-source.ts';
import { createPollSource } from '../../console/src/live/poll-source.ts';
import { metric } from '../../broker/test/live/helpers.ts';
import { startTestApp } from '../support/app.ts';
import { mosquittoPub } from '../support/mosquitto-clients.ts';
import { waitFor } from '../support/net.ts';

test('poll source: subscribing and unsubscribing filters updates one broker session in place', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  const source = createPollSource({ baseUrl: server.httpUrl, getToken: () => null, waitMs: 20_000 });
  t.after(() => source.close());
  const received: string[] = [];
  source.onMessage((m: LiveMessage) => received.push(`${m.topic} ${new TextDecoder().decode(m.payload)}`));
  source.connect();

  assert.deepEqual(await source.subscribe('devices/+/telemetry'), { ok: true });
  assert.deepEqual(await source.subscribe('devices/+/status'), { ok: true });
  await source.unsubscribe('devices/+/telemetry');
  await waitFor(async () => (await metric(server.httpUrl, 'telemq_live_subscriptions')) === 1, 5000, 'the telemetry subscription to go');

  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/telemetry', '{"n":1}', { qos: 1 });
  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/status', 'online', { qos: 1 });
  await waitFor(() => received.length > 0, 5000, 'the status message');
  assert.deepEqual(received, ['devices/d1/status online']);
  assert.equal(await metric(server.httpUrl, 'telemq_live_poll_sessions'), 1, 'one session for the page, whatever its filters');
  assert.equal(await metric(server.httpUrl, 'telemq_live_sessions_ended_total'), 0);
});
