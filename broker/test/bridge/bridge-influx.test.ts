import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { startTestApp } from '../../../test/support/app.ts';
import { fetchMetric } from '../../../test/support/metrics.ts';
import { waitFor } from '../../../test/support/net.ts';
import { startInfluxd } from '../../../test/support/services.ts';
import { bridgeSettled, influxCount, publishBoth, unlimited } from './helpers.ts';

test('20,000 messages from mosquitto_pub and MQTT.js → exactly 20,000 points in InfluxDB', async (t) => {
  const influxd = await startInfluxd();
  t.after(() => influxd.destroy());
  const server = await startTestApp({ auth: { mode: 'none' }, logLevel: 'info', guards: unlimited, store: { influxUrl: `${influxd.url}/telemq` } });
  t.after(() => server.close());
  await publishBoth(server.ports.mqtt, 20_000, Date.now() - 3_600_000);
  await waitFor(async () => (await influxCount(influxd.url, 'telemq')).total >= 20_000, 30_000, '20,000 points');
  await bridgeSettled(server.httpUrl, 20_000);
  assert.deepEqual(await influxCount(influxd.url, 'telemq'), { total: 20_000, distinct: 20_000 });
});

/** Publishes seq from..to-1 at QoS 1 in chunks of 500, each chunk acknowledged before the next. */
async function stream(client: MqttClient, baseTs: number, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 500) {
    const end = Math.min(to, start + 500);
    const chunk = Array.from({ length: end - start }, (_, i) => start + i);
    await Promise.all(chunk.map((seq) => client.publishAsync('devices/stream/telemetry', JSON.stringify({ seq, ts: baseTs + seq }), { qos: 1 })));
  }
}

test('influxd stopped in the middle of a 30,000-message stream, the stream going on during the outage and the recovery → every point exactly once', async (t) => {
  const influxd = await startInfluxd();
  t.after(() => influxd.destroy());
  const server = await startTestApp({ auth: { mode: 'none' }, logLevel: 'info', guards: unlimited, store: { influxUrl: `${influxd.url}/telemq` }, bridge: { retryBaseMs: 200, retryMaxMs: 2000 } });
  t.after(() => server.close());
  const client = await mqtt.connectAsync(server.mqttUrl, { clientId: 'streamer', reconnectPeriod: 0 });
  t.after(() => client.endAsync());
  const metric = (name: string) => fetchMetric(server.httpUrl, name);
  const total = 30_000;
  const baseTs = Date.now() - 3_600_000;

  // before: the store takes the first 5,000
  await stream(client, baseTs, 0, 5000);
  await waitFor(async () => (await influxCount(influxd.url, 'telemq')).total === 5000, 30_000, 'the first 5,000 points in InfluxDB');

  // the outage: 15,000 more are acknowledged and spooled; readiness says why; the lag grows
  await influxd.stop();
  await stream(client, baseTs, 5000, 20_000);
  const readyDuringOutage = await waitFor(
    async () => {
      const ready = (await (await fetch(`${server.httpUrl}/readyz`)).json()) as { reasons: string[] };
      return ready.reasons.some((r) => /store unreachable/.test(r)) ? ready : null;
    },
    30_000,
    'readiness to report the store unreachable',
  );
  assert.ok(readyDuringOutage.reasons.some((r) => /store unreachable/.test(r)), JSON.stringify(readyDuringOutage));
  await waitFor(async () => (await metric('telemq_bridge_points_spooled_total')) > 10_000, 30_000, 'more than 10,000 points spooled');
  // the lag is the age of the oldest point not written: it reaches 5 s while the store is away
  const lagSeconds = await waitFor(async () => {
    const lag = await metric('telemq_bridge_lag_seconds');
    return lag >= 5 ? lag : 0;
  }, 30_000, 'a bridge lag of 5 s');
  assert.ok(lagSeconds >= 5, `bridge lag during the outage: ${lagSeconds} s`);

  // the recovery: the store is back while the last 10,000 arrive behind the spooled ones
  await influxd.start();
  await stream(client, baseTs, 20_000, total);
  let last = { total: 0, distinct: 0 };
  const metricsText = async () => (await fetch(`${server.httpUrl}/metrics`)).text();
  try {
    await waitFor(async () => (last = await influxCount(influxd.url, 'telemq')).total >= total, 60_000, `${total} points`);
  } catch (err) {
    const bridgeLines = (await metricsText()).split('\n').filter((l) => l.startsWith('telemq_bridge'));
    throw new Error(`${(err as Error).message}; counted ${JSON.stringify(last)}\n${bridgeLines.join('\n')}`, { cause: err });
  }
  await bridgeSettled(server.httpUrl, total);
  assert.deepEqual(await influxCount(influxd.url, 'telemq'), { total, distinct: total });
  const metrics = await metricsText();
  const spooled = Number(/telemq_bridge_points_spooled_total\{app="telemq"\} (\d+)/.exec(metrics)?.[1]);
  assert.ok(spooled > 10_000, `spooled ${spooled}`);
  assert.doesNotMatch(metrics, /telemq_bridge_points_dropped_total\{[^}]*\} [1-9]/);
  const ready = (await (await fetch(`${server.httpUrl}/readyz`)).json()) as { reasons: string[] };
  assert.deepEqual(ready.reasons, []);
});
