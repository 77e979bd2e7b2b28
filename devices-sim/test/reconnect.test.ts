// The broker stops until every device has been refused a few times (its backoff grown towards the
// cap) and comes back on the same ports: every device reconnects, at spread out times (full
// jitter), each within the backoff cap of the broker's return.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topics } from '@telemq/broker/contract';
import mqtt from 'mqtt';
import { startTestApp, type TestApp } from '../../test/support/app.ts';
import { waitFor } from '../../test/support/net.ts';
import { startSim } from '../../test/support/simulator.ts';
import { tempDirFor } from '../../test/support/temp-dir.ts';
import { testAuth } from './helpers.ts';

const DEVICES = 100;
const CAP_MS = 2000;
/** refused attempts per device, on average, before the broker comes back: 200, 400, 800, 1600 ms windows */
const ATTEMPTS_WHILE_AWAY = 4;
/** a connection attempt itself (TCP + CONNECT/CONNACK on loopback) on a busy 2-core machine */
const CONNECT_SLACK_MS = 1000;

test('broker down while every device is refused a few times: every device reconnects, spread out, within the backoff cap', async (t) => {
  const config = { auth: testAuth.broker, logLevel: 'warn' as const };
  const dataDir = tempDirFor(t, 'telemq-sim-outage-');
  let server: TestApp = await startTestApp(config, { dataDir });
  t.after(() => server.close());

  const sim = startSim([...testAuth.simArgs, '--url', server.mqttUrl, '--devices', String(DEVICES), '--interval', '1s', '--prefix', 'rc', '--backoff-base', '200ms', '--backoff-cap', `${CAP_MS}ms`, '--report-interval', '500ms', '--json']);
  t.after(() => sim.stop());
  await waitFor(() => server.app.broker.connectedClients() === DEVICES, 15_000, 'all devices connected');

  const ports = server.ports;
  await server.close();
  // the simulator's report line (every 500 ms) counts the refused attempts
  const errorsWhileAway = () => Number([...sim.stderr().matchAll(/connected 0\/100 .* errors (\d+)/g)].at(-1)?.[1] ?? 0);
  await waitFor(() => errorsWhileAway() >= ATTEMPTS_WHILE_AWAY * DEVICES, 30_000, `${ATTEMPTS_WHILE_AWAY * DEVICES} refused attempts while the broker is away`);
  server = await startTestApp({ ...config, transport: { mqttPort: ports.mqtt, httpPort: ports.http } }, { dataDir });
  const restartedAtMs = Date.now();
  const connectedAtMs = new Map<string, number>();
  server.app.broker.events.on('clientConnected', (client) => connectedAtMs.set(client.id, Date.now() - restartedAtMs));
  await waitFor(() => connectedAtMs.size === DEVICES, CAP_MS + 10_000, 'every device back');

  const times = [...connectedAtMs.values()].sort((a, b) => a - b);
  for (let i = 1; i <= DEVICES; i++) assert.ok(connectedAtMs.has(`rc-${i}`), `rc-${i} reconnected`);
  assert.ok(times.at(-1)! - times[0]! > 100, `reconnects spread out: first ${times[0]} ms, last ${times.at(-1)} ms after restart`);
  // With full jitter the times cover most of [0, cap], not a cluster.
  const distinctBuckets = new Set(times.map((ms) => Math.floor(ms / 100))).size;
  assert.ok(distinctBuckets >= 5, `reconnects fall in ${distinctBuckets} different 100 ms windows`);
  for (const [id, ms] of connectedAtMs) assert.ok(ms <= CAP_MS + CONNECT_SLACK_MS, `${id} came back ${ms} ms after the restart (cap ${CAP_MS} ms)`);

  // Resubscribed: a command reaches a reconnected device.
  const probe = await mqtt.connectAsync(server.mqttUrl, await testAuth.clientOptions('probe'));
  t.after(() => probe.endAsync());
  const replies: string[] = [];
  probe.on('message', (_topic, payload) => replies.push(payload.toString()));
  await probe.subscribeAsync(topics.reply(`rc-${DEVICES}`, 'ping'), { qos: 1 });
  await probe.publishAsync(topics.command(`rc-${DEVICES}`, 'ping'), '{"id":"after-outage"}', { qos: 1 });
  await waitFor(() => replies.length === 1, 5000, 'ping reply from a reconnected device');
  assert.match(replies[0]!, /"id":"after-outage","ok":true/);
  assert.equal(await sim.stop(), 0, sim.stderr());
  const summary = JSON.parse(sim.stdout()) as { reconnects: number; errors: number };
  assert.equal(summary.reconnects, DEVICES);
  assert.ok(summary.errors > 0, 'refused attempts during the outage are counted');
  assert.match(sim.stderr(), /connected 0\/100 .* errors [1-9]/, 'log lines while the broker is away');
});
