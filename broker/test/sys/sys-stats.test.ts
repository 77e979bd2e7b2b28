// $SYS/<brokerId>/... statistics, published every sysIntervalMs, read by a real subscriber.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { sysPaths } from '../../src/sys/sys-stats.ts';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';

test('$SYS topics carry clients, message and byte totals and rates every sysIntervalMs', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, brokerId: 'node-a', sysIntervalMs: 200 });
  t.after(() => server.close());
  const console = await mqtt.connectAsync(server.wsUrl, { clientId: 'console', reconnectPeriod: 0 });
  t.after(() => console.endAsync());
  const latest = new Map<string, number>();
  const seen = new Map<string, number>();
  console.on('message', (topic, payload) => {
    latest.set(topic, Number(payload.toString()));
    seen.set(topic, (seen.get(topic) ?? 0) + 1);
  });
  await console.subscribeAsync('$SYS/node-a/#');
  const publisher = await mqtt.connectAsync(server.mqttUrl, { clientId: 'pub', reconnectPeriod: 0 });
  t.after(() => publisher.endAsync());
  await console.subscribeAsync('load/#');
  const timer = setInterval(() => publisher.publish('load/x', 'abc'), 5);
  t.after(() => clearInterval(timer));

  await waitFor(() => (latest.get('$SYS/node-a/messages/received/per-second') ?? 0) > 5, 15_000, 'a received rate');
  await waitFor(() => latest.get('$SYS/node-a/clients/connected') === 2, 5000, 'two clients connected');
  clearInterval(timer);
  for (const path of sysPaths) assert.ok(latest.has(`$SYS/node-a/${path}`), `$SYS/node-a/${path} published`);
  assert.ok(latest.get('$SYS/node-a/messages/received')! > 5);
  assert.ok(latest.get('$SYS/node-a/messages/sent')! > 5);
  assert.ok(latest.get('$SYS/node-a/bytes/received')! > 0);
  await waitFor(() => (seen.get('$SYS/node-a/uptime-seconds') ?? 0) >= 3, 10_000, 'published repeatedly');
});

test('$SYS values are retained: a late subscriber gets them at once', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, brokerId: 'node-b', sysIntervalMs: 100 });
  t.after(() => server.close());
  // a first value has been published (and so retained) once a live subscriber has seen one
  const early = await mqtt.connectAsync(server.mqttUrl, { clientId: 'early', reconnectPeriod: 0 });
  t.after(() => early.endAsync());
  let published = false;
  early.on('message', () => (published = true));
  await early.subscribeAsync('$SYS/node-b/clients/connected');
  await waitFor(() => published, 5000, 'a first $SYS value');
  const late = await mqtt.connectAsync(server.mqttUrl, { clientId: 'late', reconnectPeriod: 0 });
  t.after(() => late.endAsync());
  const got: string[] = [];
  late.on('message', (topic, _p, packet) => packet.retain && got.push(topic));
  await late.subscribeAsync('$SYS/node-b/clients/connected');
  await waitFor(() => got.length > 0, 2000, 'retained $SYS value');
});
