// Flat-out load for 60 s against the real entry point in its own process: 50 QoS 0 publishers
// (25 over TCP, 25 over WebSocket), a live MQTT.js subscriber over WebSocket, and a subscriber that
// never reads. The broker must stay up, keep its RSS under a bound, keep delivering to the live
// subscriber throughout, and count what it drops for the stalled one. Asserts survival and bounded
// memory, not speed (speed is measured by bench/).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { rssBytes, startBrokerProcess } from '../../../test/support/broker-process.ts';
import { spawnFloodProcess } from '../../../test/support/flood-process.ts';
import { sleep } from '../../../test/support/net.ts';

const durationMs = Number(process.env.TELEMQ_LOAD_TEST_MS ?? 60_000);
// 10 s windows: "keeps receiving" means no stall that long, on a machine shared with the load itself
const windowMs = 10_000;
/** RSS bound for the broker process under this load (idle it is ~80 MB) */
const maxRssBytes = 400 * 1024 * 1024;

test('60 s flat-out QoS 0 from 50 publishers: the broker stays up, RSS stays bounded, the subscriber keeps receiving', { timeout: 150_000 }, async (t) => {
  // the per-client publish rate guard is off (flat-out load is the point here) and so is the
  // bridge: these topics are not telemetry, and it would dead-letter every one of them
  const broker = await startBrokerProcess({ TELEMQ_LOG_LEVEL: 'warn' }, { config: { guards: { publishRatePerSec: 0 }, bridge: { enabled: false } } });
  t.after(() => broker.stop());

  const live = await mqtt.connectAsync(broker.wsUrl, { clientId: 'live', reconnectPeriod: 0 });
  t.after(() => live.endAsync(true));
  let received = 0;
  live.on('message', () => received++);
  await live.subscribeAsync('load/#', { qos: 0 });

  // a subscriber that stops reading after SUBACK: its queue fills and QoS 0 to it is dropped
  const stalled = net.connect(broker.ports.mqtt, '127.0.0.1');
  stalled.on('error', () => {});
  t.after(() => stalled.destroy());
  await new Promise((r) => stalled.once('connect', r));
  stalled.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'stalled', keepalive: 0 }));
  stalled.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'load/#', qos: 0 }] }));
  // CONNACK (4 bytes) and SUBACK (5) read, then nothing more
  await new Promise<void>((resolve) => {
    let bytes = 0;
    stalled.on('data', function untilSuback(chunk: Buffer) {
      bytes += chunk.length;
      if (bytes < 9) return;
      stalled.off('data', untilSuback);
      stalled.pause();
      resolve();
    });
  });

  // the publishers run in two processes of their own, so they cannot starve the live subscriber here
  const tcpFlood = spawnFloodProcess('pub', 'tcp', broker.ports.mqtt, 25, 'load/tcp', 64);
  const wsFlood = spawnFloodProcess('pub', 'ws', broker.ports.http, 25, 'load/ws', 64);
  t.after(() => Promise.all([tcpFlood.stop(), wsFlood.stop()]));
  await Promise.all([tcpFlood.ready, wsFlood.ready]);
  tcpFlood.go();
  wsFlood.go();

  const started = Date.now();
  let peakRss = 0;
  const windows: number[] = [];
  let windowStart = received;
  let nextWindow = started + windowMs;
  while (Date.now() - started < durationMs) {
    await sleep(1000);
    assert.equal(broker.child.exitCode, null, `broker exited: ${broker.output().slice(-2000)}`);
    assert.equal(tcpFlood.child.exitCode ?? wsFlood.child.exitCode, null, 'the load generators run');
    peakRss = Math.max(peakRss, await rssBytes(broker.child.pid!));
    if (Date.now() >= nextWindow) {
      windows.push(received - windowStart);
      windowStart = received;
      nextWindow += windowMs;
    }
  }
  const sent = (tcpFlood.last.sent ?? 0) + (wsFlood.last.sent ?? 0);
  const lost = (tcpFlood.last.lost ?? 0) + (wsFlood.last.lost ?? 0);
  const stopping = Date.now();
  await Promise.all([tcpFlood.stop(), wsFlood.stop()]);
  t.diagnostic(`publishers stopped in ${Date.now() - stopping} ms`);

  t.diagnostic(`published ${sent}, live subscriber received ${received}, per ${windowMs / 1000} s window: ${windows.join(' ')}`);
  t.diagnostic(`peak broker RSS ${Math.round(peakRss / 1024 / 1024)} MB (bound ${maxRssBytes / 1024 / 1024} MB)`);
  assert.ok(peakRss < maxRssBytes, `peak RSS ${peakRss}`);
  assert.ok(windows.length >= Math.floor(durationMs / windowMs) - 1);
  assert.ok(windows.every((n) => n > 0), `the live subscriber received in every window: ${windows.join(' ')}`);
  assert.equal(live.connected, true);
  assert.equal(lost, 0, 'no publisher was cut off');
  assert.ok(sent > 0);

  const health = await fetch(`${broker.httpUrl}/healthz`);
  assert.equal(health.status, 200);
  const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  const dropped = Number(/telemq_messages_dropped_total\{reason="slow-consumer-qos0"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  t.diagnostic(`dropped for the stalled subscriber: ${dropped}`);
  assert.ok(dropped > 0, 'QoS 0 to the stalled subscriber was dropped and counted');
  const closing = Date.now();
  // forced: MQTT.js would otherwise work through its receive backlog first
  await live.endAsync(true);
  stalled.destroy();
  assert.equal(await broker.stop(), 0);
  t.diagnostic(`broker stopped in ${Date.now() - closing} ms`);
});
