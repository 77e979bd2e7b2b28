// QoS 1 fan-in, flat out: 50 MQTT.js publishers, each keeping 20 publishes unacknowledged, into one
// MQTT.js QoS 1 subscriber, over TCP and over WebSocket, against the real entry point in its own
// process. Small bounds (window 100, queue 8 KiB) and a subscriber that now and then takes a while
// with a message make the queue fill many times: the broker must slow the publishers (counted in
// telemq_publishes_held_total) rather than drop or disconnect. Every PUBACKed message arrives, in
// order per publisher; the subscriber stays connected; the broker's RSS stays bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { rssBytes, startBrokerProcess } from '../../../test/support/broker-process.ts';
import { metricSample } from '../../../test/support/metrics.ts';
import { waitFor } from '../../../test/support/net.ts';

const publishers = 50;
const pipelined = 20;
const window = 100;
/** the run lasts until the subscriber has this many messages, however long that takes on this machine */
const targetMessages = Number(process.env.TELEMQ_FLOW_TEST_MESSAGES ?? 15_000);
const maxRssBytes = 300 * 1024 * 1024;

for (const transport of ['tcp', 'ws'] as const) {
  test(`QoS 1 fan-in 50 -> 1 over ${transport}: publishers are slowed, every acknowledged message arrives in order`, { timeout: 60_000 }, async (t) => {
    const broker = await startBrokerProcess(
      { TELEMQ_LOG_LEVEL: 'warn' },
      { config: { guards: { publishRatePerSec: 0, maxClientInflight: window, maxClientQueuedQos1Bytes: 8192 }, bridge: { enabled: false } } },
    );
    t.after(() => broker.stop());
    const url = transport === 'tcp' ? broker.mqttUrl : broker.wsUrl;

    const next = new Array<number>(publishers).fill(0);
    const errors: string[] = [];
    let delivered = 0;
    let closes = 0;
    const subscriber = await mqtt.connectAsync(url, { clientId: 'fan-in-sub', reconnectPeriod: 0 });
    // every 2,000th message takes 30 ms before its PUBACK: the window and then the queue fill
    subscriber.handleMessage = (_packet, done) => void (++delivered % 2000 === 0 ? setTimeout(done, 30) : done());
    t.after(() => subscriber.endAsync(true));
    subscriber.on('close', () => closes++);
    subscriber.on('message', (_topic, payload) => {
      const [p, seq] = payload.toString().split(':').map(Number) as [number, number];
      if (seq !== next[p]) errors.push(`publisher ${p}: got ${seq}, expected ${next[p]}`);
      next[p] = seq + 1;
    });
    await subscriber.subscribeAsync('fan-in/#', { qos: 1 });

    const clients = await Promise.all(Array.from({ length: publishers }, (_, p) => mqtt.connectAsync(url, { clientId: `fan-in-pub-${p}`, reconnectPeriod: 0 })));
    t.after(() => Promise.all(clients.map((c) => c.endAsync(true))));
    const acked = new Array<number>(publishers).fill(0);
    let running = true;
    const loops = clients.map(async (client, p) => {
      const pending = new Set<Promise<void>>();
      for (let seq = 0; running; seq++) {
        const publish: Promise<void> = client.publishAsync(`fan-in/${p}`, `${p}:${seq}`, { qos: 1 }).then(() => {
          acked[p]!++;
          pending.delete(publish);
        });
        pending.add(publish);
        if (pending.size >= pipelined) await Promise.race(pending);
      }
      await Promise.all(pending);
    });

    let peakRss = 0;
    const startedMs = Date.now();
    const sampler = setInterval(() => void rssBytes(broker.child.pid!).then((bytes) => (peakRss = Math.max(peakRss, bytes)), () => {}), 250);
    await waitFor(() => delivered >= targetMessages, 150_000, `${targetMessages} messages at the subscriber`).finally(() => clearInterval(sampler));
    const runMs = Date.now() - startedMs;
    running = false;
    await Promise.all(loops);
    const total = acked.reduce((a, b) => a + b, 0);
    await waitFor(() => next.every((n, p) => n >= acked[p]!), 30_000, `every one of ${total} acknowledged messages at the subscriber`).catch((err: Error) => {
      throw new Error(`${err.message}: missing ${next.reduce((a, n, p) => a + Math.max(acked[p]! - n, 0), 0)}`);
    });

    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    t.diagnostic(`${transport}: ${total} messages acknowledged and delivered in ${runMs} ms, held ${metricSample(metrics, 'telemq_publishes_held_total')}, peak RSS ${Math.round(peakRss / 1048576)} MB`);
    assert.deepEqual(errors.slice(0, 5), [], 'in order per publisher, nothing missing or repeated');
    assert.deepEqual(next, acked, 'every acknowledged message delivered once');
    assert.ok(total > 20 * window, `enough traffic to fill the window many times (${total})`);
    assert.ok(metricSample(metrics, 'telemq_publishes_held_total') > 0, 'the queue was full and publishers were slowed');
    assert.equal(metricSample(metrics, 'telemq_messages_dropped_total', { reason: 'stalled-consumer' }), 0);
    assert.equal(closes, 0, 'the subscriber stayed connected');
    assert.equal(subscriber.connected, true);
    assert.ok(peakRss < maxRssBytes, `broker RSS ${Math.round(peakRss / 1048576)} MB`);
  });
}
