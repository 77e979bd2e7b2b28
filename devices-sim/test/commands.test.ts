// Command round trips with a running simulator: ping gets a reply, set-interval changes the
// device's rate (and only that device's), reboot drops the connection (last will) and comes back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDeviceTopic, topics } from '@telemq/broker/contract';
import mqtt from 'mqtt';
import { startTestApp } from '../../test/support/app.ts';
import { waitFor } from '../../test/support/net.ts';
import { startSim } from '../../test/support/simulator.ts';
import { testAuth } from './helpers.ts';

test('ping, set-interval and reboot round trips', async (t) => {
  const server = await startTestApp({ auth: testAuth.broker, logLevel: 'warn' });
  t.after(() => server.close());
  const sim = startSim([...testAuth.simArgs, '--url', server.wsUrl, '--devices', '2', '--interval', '1s', '--prefix', 'cmd', '--profile', 'power-meter', '--qos', '1']);
  t.after(() => sim.stop());

  const console_ = await mqtt.connectAsync(server.mqttUrl, await testAuth.clientOptions('console'));
  t.after(() => console_.endAsync());
  /** the device's own time of each message (its payload's ts) */
  const telemetry: Array<{ id: string; ts: number }> = [];
  const replies: Array<{ id: string; name: string; body: Record<string, unknown> }> = [];
  const statuses: Array<{ id: string; status: string }> = [];
  console_.on('message', (topic, payload) => {
    const p = parseDeviceTopic(topic);
    if (p?.kind === 'telemetry') telemetry.push({ id: p.deviceId, ts: (JSON.parse(payload.toString()) as { ts: number }).ts });
    if (p?.kind === 'reply') replies.push({ id: p.deviceId, name: p.name!, body: JSON.parse(payload.toString()) as Record<string, unknown> });
    if (p?.kind === 'status') statuses.push({ id: p.deviceId, status: payload.toString() });
  });
  await console_.subscribeAsync([topics.allTelemetry, topics.allReplies, topics.allStatus], { qos: 1 });
  await waitFor(() => statuses.filter((s) => s.status === 'online').length === 2, 15_000, 'both devices online');

  const command = async (id: string, name: string, body: object) => {
    const before = replies.length;
    await console_.publishAsync(topics.command(id, name), JSON.stringify(body), { qos: 1 });
    await waitFor(() => replies.length > before, 5000, `${name} reply from ${id}`);
    return replies.at(-1)!;
  };

  const pong = await command('cmd-1', 'ping', { id: 'req-1' });
  assert.deepEqual({ id: pong.id, name: pong.name, ok: pong.body.ok, req: pong.body.id }, { id: 'cmd-1', name: 'ping', ok: true, req: 'req-1' });

  /** the median step between a device's next `count` messages (the first step may straddle the change) */
  const medianStepOfNext = async (id: string, count: number) => {
    const fromTs = Math.max(0, ...telemetry.filter((m) => m.id === id).map((m) => m.ts));
    const stamps = () => telemetry.filter((m) => m.id === id && m.ts > fromTs).map((m) => m.ts);
    await waitFor(() => stamps().length >= count, 20_000, `${count} messages from ${id}`);
    const steps = stamps().slice(0, count).flatMap((ts, i, all) => (i === 0 ? [] : [ts - all[i - 1]!]));
    return steps.sort((a, b) => a - b)[Math.floor(steps.length / 2)]!;
  };
  const set = await command('cmd-1', 'set-interval', { intervalMs: 200 });
  assert.deepEqual(set.body, { ok: true, intervalMs: 200 });
  const [fast, other] = await Promise.all([medianStepOfNext('cmd-1', 11), medianStepOfNext('cmd-2', 4)]);
  assert.ok(fast >= 150 && fast <= 300, `cmd-1 at 200 ms: a message every ${fast} ms`);
  assert.ok(other >= 750 && other <= 1300, `cmd-2 still at 1 s: a message every ${other} ms`);

  const bad = await command('cmd-1', 'set-interval', { intervalMs: 'soon' });
  assert.equal(bad.body.ok, false);
  const unknown = await command('cmd-1', 'self-destruct', {});
  assert.deepEqual(unknown.body, { ok: false, error: 'unknown command self-destruct' });

  const reboot = await command('cmd-2', 'reboot', {});
  assert.equal(reboot.body.ok, true);
  await waitFor(() => statuses.some((s) => s.id === 'cmd-2' && s.status === 'offline'), 5000, 'last will of the rebooting device');
  await waitFor(() => statuses.filter((s) => s.id === 'cmd-2').at(-1)?.status === 'online', 10_000, 'the device back online');
  const pongAfterReboot = await command('cmd-2', 'ping', {});
  assert.equal(pongAfterReboot.body.ok, true);

  assert.equal(await sim.stop(), 0, sim.stderr());
});
