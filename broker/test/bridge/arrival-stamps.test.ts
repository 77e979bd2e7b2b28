// Telemetry without ts in one burst keeps every message (timestamps unique to the microsecond), the
// counters say what was stored, and QoS 0 stays best-effort: never logged, never acknowledged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';
import { sqliteCount, unlimited } from './helpers.ts';

async function metric(server: TestApp, name: string): Promise<number> {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
}

async function history(server: TestApp, device: string, fromMs: number): Promise<Array<{ t: number; v: number }>> {
  const query = new URLSearchParams({ device, field: 'seq', from: String(fromMs), to: String(Date.now() + 60_000) });
  return ((await (await fetch(`${server.httpUrl}/api/history?${query.toString()}`)).json()) as { points: Array<{ t: number; v: number }> }).points;
}

test('150 QoS 1 messages without ts in one burst from one device → 150 points stored and counted', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, logLevel: 'info', guards: unlimited });
  t.after(() => server.close());
  const fromMs = Date.now() - 1000;
  const client = await mqtt.connectAsync(server.mqttUrl, { clientId: 'flusher', reconnectPeriod: 0 });
  t.after(() => client.endAsync());
  await Promise.all(Array.from({ length: 150 }, (_, seq) => client.publishAsync('devices/flusher/telemetry', JSON.stringify({ seq, temp: 20 + seq / 10 }), { qos: 1 })));
  await waitFor(async () => (await metric(server, 'telemq_bridge_points_written_total')) >= 150, 10_000, '150 points written');
  assert.deepEqual(sqliteCount(server.dataDir), { total: 150, distinct: 150 });
  assert.equal(await metric(server, 'telemq_bridge_points_written_total'), 150);
  const points = await history(server, 'flusher', fromMs);
  assert.deepEqual(points.map((p) => p.v), Array.from({ length: 150 }, (_, i) => i), 'in arrival order');
  assert.ok(points.every((p) => Number.isInteger(p.t) && p.t >= fromMs && p.t <= Date.now()), 'history reads whole ms of arrival');
});

test('QoS 0 is never held nor logged; QoS 1 messages share group commits', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, logLevel: 'info', guards: unlimited });
  t.after(() => server.close());
  const client = await mqtt.connectAsync(server.mqttUrl, { clientId: 'mixed', reconnectPeriod: 0 });
  t.after(() => client.endAsync());
  let pubacks = 0;
  client.on('packetreceive', (packet) => packet.cmd === 'puback' && pubacks++);

  await Promise.all(Array.from({ length: 1000 }, (_, seq) => client.publishAsync('devices/q0/telemetry', JSON.stringify({ seq }), { qos: 0 })));
  await waitFor(async () => (await metric(server, 'telemq_bridge_points_written_total')) >= 1000, 10_000, 'QoS 0 points stored');
  assert.equal(sqliteCount(server.dataDir).distinct, 1000);
  assert.equal(pubacks, 0, 'no PUBACK for QoS 0');
  assert.equal(await metric(server, 'telemq_bridge_ack_log_messages_total'), 0, 'QoS 0 never went to the log');

  // QoS 1 on a topic without a rule is acknowledged without the log
  await client.publishAsync('devices/q1/replies/x', 'ok', { qos: 1 });
  assert.equal(await metric(server, 'telemq_bridge_ack_log_messages_total'), 0);

  await Promise.all(Array.from({ length: 2000 }, (_, seq) => client.publishAsync('devices/q1/telemetry', JSON.stringify({ seq }), { qos: 1 })));
  assert.equal(pubacks, 2001);
  const logged = await metric(server, 'telemq_bridge_ack_log_messages_total');
  const commits = await metric(server, 'telemq_bridge_ack_log_commits_total');
  assert.equal(logged, 2000, 'every QoS 1 point was durable before its PUBACK');
  assert.ok(commits >= 1 && commits <= logged / 10, `group commit: ${logged} messages in ${commits} fsyncs`);
  await waitFor(async () => (await metric(server, 'telemq_bridge_points_written_total')) >= 3000, 10_000, 'QoS 1 points stored');
  assert.equal(sqliteCount(server.dataDir).distinct, 3000);
});
