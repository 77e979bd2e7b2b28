// A scenario file mixing profiles and counts, run across two worker processes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseDeviceTopic, topics } from '@telemq/broker/contract';
import mqtt from 'mqtt';
import { startTestApp } from '../../test/support/app.ts';
import { freePort, waitFor } from '../../test/support/net.ts';
import { runSim, startSim } from '../../test/support/simulator.ts';
import { isOneClearLine, testAuth } from './helpers.ts';
import { tempDirFor } from '../../test/support/temp-dir.ts';

function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

test('a YAML scenario of three profiles across two processes', async (t) => {
  const server = await startTestApp({ auth: testAuth.broker, logLevel: 'warn' });
  t.after(() => server.close());
  const dir = tempDirFor(t, 'telemq-sim-scenario-');
  const scenario = path.join(dir, 'fleet.yaml');
  writeFileSync(scenario, 'devices:\n  - { profile: thermostat, count: 6 }\n  - { profile: power-meter, count: 4, interval: 500ms }\n  - { profile: gps-tracker, count: 2, qos: 1 }\n');

  const watcher = await mqtt.connectAsync(server.mqttUrl, await testAuth.clientOptions('watcher'));
  t.after(() => watcher.endAsync());
  const fieldsOf = new Map<string, string[]>();
  const online = new Set<string>();
  watcher.on('message', (topic, payload) => {
    const p = parseDeviceTopic(topic);
    if (p?.kind === 'telemetry') fieldsOf.set(p.deviceId, Object.keys(JSON.parse(payload.toString()) as object).sort());
    if (p?.kind === 'status' && payload.toString() === 'online') online.add(p.deviceId);
  });
  await watcher.subscribeAsync([topics.allTelemetry, topics.allStatus], { qos: 1 });

  const sim = startSim([...testAuth.simArgs, '--url', server.wsUrl, '--scenario', scenario, '--processes', '2', '--duration', '4s', '--prefix', 'mix', '--json']);
  t.after(() => sim.stop());
  // counted while the run lasts: checked after the devices are online, the 4 s could be over
  await waitFor(() => childPids(sim.child.pid!).length === 2, 20_000, 'two worker processes');
  await waitFor(() => online.size === 12, 20_000, 'all 12 devices online');

  assert.equal(await sim.exited, 0, sim.stderr());
  const summary = JSON.parse(sim.stdout()) as { devices: number; peakConnected: number; sent: number };
  assert.equal(summary.devices, 12);
  assert.equal(summary.peakConnected, 12);
  // 6 + 2 devices at 1 msg/s and 4 at 2 msg/s for about 4 s
  assert.ok(summary.sent >= 40 && summary.sent <= 80, `sent ${summary.sent}`);

  const thermostat = ['humidity', 'setpoint', 'temperature', 'ts'];
  const meter = ['current', 'energy', 'power', 'ts', 'voltage'];
  const tracker = ['battery', 'heading', 'lat', 'lon', 'moving', 'speed', 'ts'];
  for (let i = 1; i <= 12; i++) assert.deepEqual(fieldsOf.get(`mix-${i}`), i <= 6 ? thermostat : i <= 10 ? meter : tracker, `mix-${i}`);
});

test('a worker that cannot connect ends the run with one clear message', async () => {
  const port = await freePort();
  const result = await runSim([...testAuth.simArgs, '--url', `mqtt://127.0.0.1:${port}`, '--devices', '4', '--processes', '2']);
  assert.equal(result.code, 1);
  assert.ok(isOneClearLine(result.stderr), result.stderr);
  assert.match(result.stderr, /cannot connect to mqtt:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
});
