// The broker page's hour: samples of connections and message rates in a bounded ring, served by
// GET /api/broker-history; a real MQTT client's traffic shows up in it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';
import { createBrokerHistory } from '../../src/api/broker-history.ts';
import type { BrokerHistoryResponse } from '../../src/contract/index.ts';
import { connect, deviceToken, securedConfig, signToken } from '../auth/helpers.ts';

test('broker history: per-second rates from counters, oldest first, bounded to the window', async () => {
  let nowMs = 0;
  const counters = { connections: 0, messagesIn: 0, messagesOut: 0 };
  const history = createBrokerHistory({ read: () => ({ ...counters }), intervalMs: 10_000, windowMs: 30_000, now: () => nowMs });
  for (let i = 1; i <= 4; i++) {
    nowMs = i * 10_000;
    counters.connections = i;
    counters.messagesIn += 100 * i;
    counters.messagesOut += 50;
    history.sample();
  }
  assert.deepEqual(history.read(), { intervalMs: 10_000, t: [20_000, 30_000, 40_000], connections: [2, 3, 4], messagesIn: [20, 30, 40], messagesOut: [5, 5, 5] });
  history.sample(); // no time passed: no sample
  assert.equal(history.read().t.length, 3);
  await history.close();
});

test('GET /api/broker-history: connections and messages of real clients, to authenticated callers', async (t) => {
  const server = await startTestApp(securedConfig({ console: { brokerHistoryIntervalMs: 200 } }));
  t.after(() => server.close());
  const device = await connect(server.mqttUrl, { clientId: 'd1', username: 'd1', password: await deviceToken('d1') });
  t.after(() => device.endAsync(true));
  const viewer = await signToken({ sub: 'alice', role: 'console' });
  const read = async () => (await (await fetch(`${server.httpUrl}/api/broker-history`, { headers: { authorization: `Bearer ${viewer}` } })).json()) as BrokerHistoryResponse;
  assert.equal((await fetch(`${server.httpUrl}/api/broker-history`)).status, 401);
  const seen = await waitFor(async () => {
    await device.publishAsync('devices/d1/telemetry', '{"t":1}', { qos: 0 });
    const h = await read();
    const i = h.messagesIn.findIndex((r) => r > 0);
    return i >= 0 && h.connections[i]! >= 1 ? h : null;
  }, 10_000, 'a sample with the device connected and publishing');
  assert.equal(seen.intervalMs, 200);
  assert.ok(seen.t.every((x, i) => i === 0 || x > seen.t[i - 1]!), 'oldest first');
});
