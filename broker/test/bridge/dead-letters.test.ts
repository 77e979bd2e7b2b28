// Messages the bridge cannot store: counted by reason, logged once per topic per interval,
// republished on $telemq/deadletter/<reason>; the broker and the bridge go on. And a Protobuf rule.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import protobuf from 'protobufjs';
import { startTestApp } from '../../../test/support/app.ts';
import { mosquittoPub, mosquittoSub } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';
import type { DeadLetter } from '../../src/bridge/dead-letter.ts';
import type { HistoryResponse } from '../../src/contract/index.ts';

const protoFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/reading.proto');

test('undecodable payloads, type conflicts and unmatched topics are counted, dead-lettered, and the bridge goes on', async (t) => {
  const server = await startTestApp({
    auth: { mode: 'none' },
    bridge: {
      flushIntervalMs: 50,
      rules: [
        { name: 'telemetry', topic: 'devices/+/telemetry', measurement: 'telemetry', tags: { device_id: 1 } },
        { name: 'readings', topic: 'pb/+/reading', measurement: 'telemetry', tags: { device_id: 1 }, codec: { type: 'protobuf', protoFile, messageType: 'telemq.test.Reading' } },
      ],
    },
  });
  t.after(() => server.close());
  const target = { port: server.ports.mqtt };
  const watcher = await mosquittoSub(target, '$telemq/deadletter/#');
  t.after(() => watcher.stop());

  await mosquittoPub(target, 'devices/d1/telemetry', '{"temp":20}', { qos: 1 });
  for (let i = 0; i < 5; i++) await mosquittoPub(target, 'devices/d1/telemetry', 'not json', { qos: 1 });
  await mosquittoPub(target, 'devices/d1/telemetry', '{"temp":"hot"}', { qos: 1 });
  await mosquittoPub(target, 'factory/line1/speed', '42', { qos: 1 });
  await mosquittoPub(target, 'devices/d1/status', 'online', { qos: 1 }); // not telemetry: ignored, not a dead letter
  await mosquittoPub(target, 'devices/d1/telemetry', '{"temp":21}', { qos: 1 });

  await waitFor(() => watcher.lines.length >= 7, 5000, 'seven dead letters');
  const letters = watcher.lines.map((line) => {
    const space = line.indexOf(' ');
    return { topic: line.slice(0, space), letter: JSON.parse(line.slice(space + 1)) as DeadLetter };
  });
  const summary = letters.map(({ topic, letter }) => [topic, letter.topic, Buffer.from(letter.payloadBase64, 'base64').toString()]);
  assert.deepEqual(summary, [
    ...Array.from({ length: 5 }, () => ['$telemq/deadletter/undecodable', 'devices/d1/telemetry', 'not json']),
    ['$telemq/deadletter/type-conflict', 'devices/d1/telemetry', '{"temp":"hot"}'],
    ['$telemq/deadletter/no-rule', 'factory/line1/speed', '42'],
  ]);
  assert.match(letters[5]!.letter.detail, /temp is number, got string/);

  const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
  assert.match(metrics, /telemq_bridge_messages_dead_lettered_total\{reason="undecodable",app="telemq"\} 5/);
  assert.match(metrics, /telemq_bridge_messages_dead_lettered_total\{reason="type-conflict",app="telemq"\} 1/);
  assert.match(metrics, /telemq_bridge_messages_dead_lettered_total\{reason="no-rule",app="telemq"\} 1/);
  const logged = server.logs.filter((l) => l.msg === 'telemetry not bridged');
  assert.deepEqual(logged.map((l) => [l.reason, l.topic]), [
    ['undecodable', 'devices/d1/telemetry'],
    ['type-conflict', 'devices/d1/telemetry'],
    ['no-rule', 'factory/line1/speed'],
  ], 'each topic and reason logged once within the minute');

  // Still bridging: both good readings are stored, the bad ones are not.
  const T = Date.now();
  const url = `${server.httpUrl}/api/history?device=d1&field=temp&from=${T - 60_000}&to=${T + 60_000}`;
  await waitFor(async () => ((await (await fetch(url)).json()) as HistoryResponse).points.length === 2, 5000, 'two points');
  assert.deepEqual(((await (await fetch(url)).json()) as HistoryResponse).points.map((p) => p.v), [20, 21]);

  await t.test('a Protobuf rule decodes a real message into points', async () => {
    const Reading = protobuf.loadSync(protoFile).lookupType('telemq.test.Reading');
    const ts = Date.now() - 1000;
    const bytes = Reading.encode(Reading.create({ temperature: 19.75, humidity: 55, doorOpen: false, firmware: '2.0', ts, battery: { volts: 3.3 } })).finish();
    const client = await mqtt.connectAsync(server.mqttUrl, { clientId: 'pb-device', reconnectPeriod: 0 });
    await client.publishAsync('pb/p1/reading', Buffer.from(bytes), { qos: 1 });
    await client.publishAsync('pb/p1/reading', Buffer.from('definitely not protobuf \xff\xff'), { qos: 1 });
    await client.endAsync();
    const q = (field: string) => `${server.httpUrl}/api/history?device=p1&field=${field}&from=${ts - 1}&to=${ts + 1}`;
    await waitFor(async () => ((await (await fetch(q('temperature'))).json()) as HistoryResponse).points.length === 1, 5000, 'protobuf point');
    assert.deepEqual(((await (await fetch(q('temperature'))).json()) as HistoryResponse).points, [{ t: ts, v: 19.75 }]);
    assert.deepEqual(((await (await fetch(q('battery_volts'))).json()) as HistoryResponse).points, [{ t: ts, v: 3.3 }]);
    await waitFor(() => watcher.lines.some((l) => l.startsWith('$telemq/deadletter/undecodable') && l.includes('pb/p1/reading')), 5000, 'protobuf dead letter');
  });
});

test('dead letters beyond the rate are counted but not republished, so a flood of bad messages is not doubled', async () => {
  const { Registry } = await import('prom-client');
  const { createBridgeMetrics } = await import('../../src/bridge/metrics.ts');
  const { createDeadLetters } = await import('../../src/bridge/dead-letter.ts');
  const { createLogger } = await import('../../src/logger.ts');
  const registry = new Registry();
  const metrics = createBridgeMetrics(registry, { spoolBytes: () => 0, logBytes: () => 0, lagSeconds: () => 0 });
  let published = 0;
  let nowMs = 1_000_000;
  const letters = createDeadLetters({ broker: { publish: async () => void published++ }, metrics, log: createLogger('silent'), logIntervalMs: 60_000, ratePerSec: 5, now: () => nowMs });
  for (let i = 0; i < 20; i++) letters.send('no-rule', { topic: 'load/x', payload: Buffer.from('x'), receivedAtMs: nowMs }, 'no rule');
  nowMs += 1000;
  for (let i = 0; i < 20; i++) letters.send('no-rule', { topic: 'load/x', payload: Buffer.from('x'), receivedAtMs: nowMs }, 'no rule');
  assert.equal(published, 10);
  const text = await registry.metrics();
  assert.match(text, /telemq_bridge_messages_dead_lettered_total\{reason="no-rule"\} 40/);
  assert.match(text, /telemq_bridge_dead_letters_unpublished_total\{reason="no-rule"\} 30/);
});
