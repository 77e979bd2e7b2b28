import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../../../test/support/app.ts';
import { sleep, waitFor } from '../../../test/support/net.ts';
import { startInfluxd } from '../../../test/support/services.ts';
import { influxCount, publishBoth, unlimited } from './helpers.ts';

test('20,000 messages from mosquitto_pub and MQTT.js → exactly 20,000 points in InfluxDB', async (t) => {
  const influxd = await startInfluxd();
  t.after(() => influxd.destroy());
  const server = await startTestApp({ auth: { mode: 'none' }, logLevel: 'info', guards: unlimited, store: { influxUrl: `${influxd.url}/telemq` } });
  t.after(() => server.close());
  await publishBoth(server.ports.mqtt, 20_000, Date.now() - 3_600_000);
  await waitFor(async () => (await influxCount(influxd.url, 'telemq')).total >= 20_000, 30_000, '20,000 points');
  await sleep(1500);
  assert.deepEqual(await influxCount(influxd.url, 'telemq'), { total: 20_000, distinct: 20_000 });
});

test('influxd stopped for 20 s in the middle of a 30 s stream at 1,000 msg/s → every point exactly once', async (t) => {
  const influxd = await startInfluxd();
  t.after(() => influxd.destroy());
  const server = await startTestApp({ auth: { mode: 'none' }, logLevel: 'info', guards: unlimited, store: { influxUrl: `${influxd.url}/telemq` }, bridge: { retryBaseMs: 200, retryMaxMs: 2000 } });
  t.after(() => server.close());
  const client = await mqtt.connectAsync(server.mqttUrl, { clientId: 'streamer', reconnectPeriod: 0 });
  t.after(() => client.endAsync());

  const total = 30_000;
  const baseTs = Date.now() - 3_600_000;
  const started = Date.now();
  let sent = 0;
  const outage = (async () => {
    await sleep(5000);
    await influxd.stop();
    await sleep(2000); // a flush or two fail
    const ready = await fetch(`${server.httpUrl}/readyz`).then((r) => r.json() as Promise<{ reasons: string[] }>);
    await sleep(5000);
    const lagSeconds = Number(/^telemq_bridge_lag_seconds\{[^}]*\} ([\d.]+)/m.exec(await (await fetch(`${server.httpUrl}/metrics`)).text())?.[1]);
    await sleep(13_000);
    await influxd.start();
    return { ...ready, lagSeconds };
  })();
  // 10 messages every 10 ms, paced against the wall clock.
  while (sent < total) {
    const due = Math.min(total, Math.floor((Date.now() - started) / 10) * 10 + 10);
    while (sent < due) {
      client.publish('devices/stream/telemetry', JSON.stringify({ seq: sent, ts: baseTs + sent }), { qos: 1 });
      sent++;
    }
    await sleep(10);
  }
  const readyDuringOutage = await outage;
  assert.ok(readyDuringOutage.reasons.some((r) => /store unreachable/.test(r)), JSON.stringify(readyDuringOutage));
  assert.ok(readyDuringOutage.lagSeconds >= 5, `bridge lag during the outage: ${readyDuringOutage.lagSeconds} s`);
  let last = { total: 0, distinct: 0 };
  const metricsText = async () => (await fetch(`${server.httpUrl}/metrics`)).text();
  try {
    await waitFor(async () => (last = await influxCount(influxd.url, 'telemq')).total >= total, 60_000, `${total} points`);
  } catch (err) {
    const bridgeLines = (await metricsText()).split('\n').filter((l) => l.startsWith('telemq_bridge'));
    throw new Error(`${(err as Error).message}; counted ${JSON.stringify(last)}\n${bridgeLines.join('\n')}`, { cause: err });
  }
  await sleep(1500);
  assert.deepEqual(await influxCount(influxd.url, 'telemq'), { total, distinct: total });
  const metrics = await metricsText();
  const spooled = Number(/telemq_bridge_points_spooled_total\{app="telemq"\} (\d+)/.exec(metrics)?.[1]);
  assert.ok(spooled > 10_000, `spooled ${spooled}`);
  assert.doesNotMatch(metrics, /telemq_bridge_points_dropped_total\{[^}]*\} [1-9]/);
  const ready = (await (await fetch(`${server.httpUrl}/readyz`)).json()) as { reasons: string[] };
  assert.deepEqual(ready.reasons, []);
});
