// Cluster: two telemq instances sharing a real redis-server (mqemitter-redis routing,
// aedes-persistence-redis sessions and retained messages).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';
import { startRedis } from '../../../test/support/services.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';

/** Closes what a test opened in reverse order (t.after runs hooks first-in first-out, and Redis must go last). */
function closingStack(t: { after(fn: () => unknown): void }): (close: () => unknown) => void {
  const stack: Array<() => unknown> = [];
  t.after(async () => {
    for (const close of stack.reverse()) await close();
  });
  return (close) => void stack.push(close);
}

test('a message published on one instance reaches a subscriber on the other', async (t) => {
  const after = closingStack(t);
  const redis = await startRedis();
  after(() => redis.destroy());
  const a = await startTestApp({ auth: { mode: 'none' }, redisUrl: redis.url, brokerId: 'node-a' });
  after(() => a.close());
  const b = await startTestApp({ auth: { mode: 'none' }, redisUrl: redis.url, brokerId: 'node-b' });
  after(() => b.close());

  const sub = await mqtt.connectAsync(b.wsUrl, { clientId: 'sub-on-b', reconnectPeriod: 0 });
  after(() => sub.endAsync());
  const received: string[] = [];
  sub.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
  await sub.subscribeAsync('devices/+/telemetry', { qos: 1 });

  const pub = await mqtt.connectAsync(a.mqttUrl, { clientId: 'pub-on-a', reconnectPeriod: 0 });
  after(() => pub.endAsync());
  for (let i = 0; i < 5; i++) await pub.publishAsync('devices/d1/telemetry', `{"n":${i}}`, { qos: 1 });
  await waitFor(() => received.length === 5, 5000, '5 messages across instances');
  assert.deepEqual(received, Array.from({ length: 5 }, (_, i) => `devices/d1/telemetry {"n":${i}}`), 'each once, in order');
});

test('a retained message and a QoS 1 persistent session survive a broker restart', async (t) => {
  const after = closingStack(t);
  const redis = await startRedis();
  after(() => redis.destroy());
  const dataDir = tempDirFor({ after }, 'telemq-cluster-');
  const config = { auth: { mode: 'none' as const }, redisUrl: redis.url, brokerId: 'node-r' };

  const first = await startTestApp(config, { dataDir });
  const device = await mqtt.connectAsync(first.mqttUrl, { clientId: 'retainer', reconnectPeriod: 0 });
  await device.publishAsync('devices/d2/status', 'online', { qos: 1, retain: true });
  await device.endAsync();
  const session = await mqtt.connectAsync(first.mqttUrl, { clientId: 'persistent', clean: false, reconnectPeriod: 0 });
  await session.subscribeAsync('devices/+/commands/#', { qos: 1 });
  await session.endAsync();
  await first.close();

  const second = await startTestApp(config, { dataDir });
  after(() => second.close());
  // published while the persistent client is away
  const commander = await mqtt.connectAsync(second.mqttUrl, { clientId: 'commander', reconnectPeriod: 0 });
  after(() => commander.endAsync());
  await commander.publishAsync('devices/d2/commands/reboot', 'now', { qos: 1 });

  const back = mqtt.connect(second.wsUrl, { clientId: 'persistent', clean: false, reconnectPeriod: 0 });
  after(() => back.endAsync());
  const queued: string[] = [];
  back.on('message', (topic, payload) => queued.push(`${topic} ${payload.toString()}`));
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => back.once('connect', resolve).once('error', reject));
  assert.equal(connack.sessionPresent, true, 'the session was restored from Redis');
  await waitFor(() => queued.includes('devices/d2/commands/reboot now'), 5000, 'the queued QoS 1 message');

  const late = await mqtt.connectAsync(second.wsUrl, { clientId: 'late', reconnectPeriod: 0 });
  after(() => late.endAsync());
  const retained: string[] = [];
  late.on('message', (topic, payload, packet) => packet.retain && retained.push(`${topic} ${payload.toString()}`));
  await late.subscribeAsync('devices/d2/status', { qos: 1 });
  await waitFor(() => retained.includes('devices/d2/status online'), 5000, 'the retained message after restart');
});
