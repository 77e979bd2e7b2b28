// What a stalled QoS 1 consumer costs the others: one MQTT.js publisher at a steady QoS 1 rate, a
// live MQTT.js subscriber and a raw subscriber that never acknowledges, on the same topic, against
// the real entry point. Prints when the publisher was first held (the stalled subscriber's window
// and queue full), how long the live subscriber then received nothing, when the stalled one was
// cut off, and whether every acknowledged message reached the live subscriber.
//
//   node --conditions=source --import tsx bench/stalled-consumer.ts [--rate 2000] [--payload 100] [--timeout-ms 10000] [--seconds 30]
import net from 'node:net';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { startBrokerProcess } from '../test/support/broker-process.ts';
import { fetchMetric } from '../test/support/metrics.ts';
import { sleep } from './sim-support.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    payload: { type: 'string', default: '100' },
    'timeout-ms': { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '30' },
  },
});
const rate = Number(values.rate);
const timeoutMs = Number(values['timeout-ms']);
const broker = await startBrokerProcess({ TELEMQ_LOG_LEVEL: 'warn' }, { config: { guards: { publishRatePerSec: 0, stalledClientTimeoutMs: timeoutMs }, bridge: { enabled: false } } });
const started = Date.now();
const at = () => ((Date.now() - started) / 1000).toFixed(1);

const live = await mqtt.connectAsync(broker.mqttUrl, { clientId: 'live', reconnectPeriod: 0 });
let received = 0;
let lastArrival = Date.now();
let longestGapMs = 0;
let gapEndedAt = '';
live.on('message', () => {
  const now = Date.now();
  if (now - lastArrival > longestGapMs) [longestGapMs, gapEndedAt] = [now - lastArrival, at()];
  lastArrival = now;
  received++;
});
await live.subscribeAsync('stall/#', { qos: 1 });

const stalled = net.connect(broker.ports.mqtt, '127.0.0.1');
let cutOffAt = '';
stalled.on('close', () => (cutOffAt = at()));
stalled.on('data', () => {});
stalled.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'stalled', keepalive: 0 }));
stalled.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'stall/#', qos: 1 }] }));
await sleep(300);

const publisher = await mqtt.connectAsync(broker.mqttUrl, { clientId: 'steady', reconnectPeriod: 0 });
const payload = Buffer.alloc(Number(values.payload), 0x61);
let acked = 0;
let firstHeldAt = '';
const until = Date.now() + Number(values.seconds) * 1000;
const pending = new Set<Promise<void>>();
const ticker = setInterval(() => {
  if (Date.now() >= until) return;
  // the rate in 10 ms steps, never more than 10,000 unacknowledged
  for (let i = 0; i < rate / 100 && pending.size < 10_000; i++) {
    const p: Promise<void> = publisher.publishAsync('stall/x', payload, { qos: 1 }).then(() => {
      acked++;
      pending.delete(p);
    });
    pending.add(p);
  }
}, 10);
const watcher = setInterval(() => {
  void fetchMetric(broker.httpUrl, 'telemq_publishes_held_total').then((held) => {
    if (held > 0 && !firstHeldAt) firstHeldAt = `${at()} s (${acked} acknowledged)`;
  });
}, 100);
while (Date.now() < until) await sleep(500);
clearInterval(ticker);
await Promise.all(pending);
for (let i = 0; i < 100 && received < acked; i++) await sleep(100);
clearInterval(watcher);

console.log(`stalled-consumer: ${rate} msg/s of ${values.payload}-byte payloads at QoS 1, stalledClientTimeoutMs ${timeoutMs}, defaults otherwise`);
console.log(`  publisher first held at ${firstHeldAt || 'never'}`);
console.log(`  stalled subscriber cut off at ${cutOffAt || 'never'} s; counted stalled-consumer ${await fetchMetric(broker.httpUrl, 'telemq_messages_dropped_total', { reason: 'stalled-consumer' })}`);
console.log(`  live subscriber: longest gap ${(longestGapMs / 1000).toFixed(1)} s, ended at ${gapEndedAt} s; received ${received} of ${acked} acknowledged`);
await Promise.all([live.endAsync(true), publisher.endAsync(true)]);
stalled.destroy();
await broker.stop();
