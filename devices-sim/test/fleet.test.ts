// 200 devices for 5 s against a real broker: messages per device, `online` while running,
// `offline` retained once the simulator stopped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDeviceTopic, topics } from '@telemq/broker/contract';
import mqtt from 'mqtt';
import { startTestApp } from '../../test/support/app.ts';
import { waitFor } from '../../test/support/net.ts';
import { startSim } from '../../test/support/simulator.ts';
import { testAuth } from './helpers.ts';

const DEVICES = 200;
const DURATION_S = 5;
const INTERVAL_S = 1;

test('200 devices for 5 s: messages per device, online while running, offline retained after', async (t) => {
  const server = await startTestApp({ auth: testAuth.broker, logLevel: 'warn' });
  t.after(() => server.close());

  const watcher = await mqtt.connectAsync(server.mqttUrl, await testAuth.clientOptions('watcher'));
  t.after(() => watcher.endAsync());
  const counts = new Map<string, number>();
  const statuses = new Map<string, string[]>();
  const firstTsMs = new Map<string, number>();
  let lastTsMs = 0;
  watcher.on('message', (topic, payload) => {
    const parsed = parseDeviceTopic(topic);
    if (parsed?.kind === 'telemetry') {
      const reading = JSON.parse(payload.toString()) as Record<string, number>;
      assert.equal(typeof reading.temperature, 'number');
      counts.set(parsed.deviceId, (counts.get(parsed.deviceId) ?? 0) + 1);
      if (!firstTsMs.has(parsed.deviceId)) firstTsMs.set(parsed.deviceId, reading.ts!);
      lastTsMs = Math.max(lastTsMs, reading.ts!);
    } else if (parsed?.kind === 'status') {
      statuses.set(parsed.deviceId, [...(statuses.get(parsed.deviceId) ?? []), payload.toString()]);
    }
  });
  await watcher.subscribeAsync([topics.allTelemetry, topics.allStatus], { qos: 1 });

  const sim = startSim([...testAuth.simArgs, '--url', server.wsUrl, '--devices', String(DEVICES), '--interval', `${INTERVAL_S}s`, '--duration', `${DURATION_S}s`, '--qos', '1', '--prefix', 'fleet', '--json']);
  t.after(() => sim.stop());

  const everyoneOnline = () => [...statuses.values()].filter((s) => s[0] === 'online').length === DEVICES;
  await waitFor(everyoneOnline, 15_000, `all ${DEVICES} devices online`);

  assert.equal(await sim.exited, 0, sim.stderr());
  const summary = JSON.parse(sim.stdout()) as { sent: number; devices: number; peakConnected: number; errors: number };
  assert.equal(summary.devices, DEVICES);
  assert.equal(summary.peakConnected, DEVICES);
  assert.equal(summary.errors, 0);

  await waitFor(() => [...statuses.values()].filter((s) => s.at(-1) === 'offline').length === DEVICES, 5000, 'offline from every device');
  // Each device publishes once on connecting (its first `ts`), then once per interval until the
  // fleet stops (the last `ts` of any device): that many messages, within one interval.
  const runStartMs = Math.min(...firstTsMs.values());
  assert.ok(Math.abs(lastTsMs - runStartMs - DURATION_S * 1000) < 1500, `the run lasted ${lastTsMs - runStartMs} ms`);
  for (let i = 1; i <= DEVICES; i++) {
    const id = `fleet-${i}`;
    assert.deepEqual(statuses.get(id), ['online', 'offline'], id);
    const expected = (lastTsMs - firstTsMs.get(id)!) / (INTERVAL_S * 1000);
    // connected for at least one interval of the run; how soon after the first device depends on the machine's load
    assert.ok(expected >= 1, `${id} connected ${firstTsMs.get(id)! - runStartMs} ms after the first device`);
    const count = counts.get(id) ?? 0;
    assert.ok(Math.abs(count - expected) <= 1.01, `${id}: ${count} messages, expected ${expected.toFixed(2)} ± 1`);
  }
  assert.equal(summary.sent, [...counts.values()].reduce((a, b) => a + b, 0), 'the subscriber got every message the simulator sent');

  // A late subscriber sees the retained `offline` of every device.
  const late = await mqtt.connectAsync(server.mqttUrl, await testAuth.clientOptions('late'));
  t.after(() => late.endAsync());
  const retained = new Map<string, string>();
  late.on('message', (topic, payload, packet) => {
    if (packet.retain) retained.set(parseDeviceTopic(topic)!.deviceId, payload.toString());
  });
  await late.subscribeAsync(topics.allStatus, { qos: 1 });
  await waitFor(() => retained.size === DEVICES, 5000, 'retained status of every device');
  assert.deepEqual(new Set(retained.values()), new Set(['offline']));
});
