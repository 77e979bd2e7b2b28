// Acknowledged = stored: the broker as a real process, QoS 1 bursts from MQTT.js and mosquitto_pub,
// SIGKILL right after the last PUBACK; after a restart every acknowledged point is in /api/history,
// for the embedded store and for InfluxDB, and the acknowledgement log is replayed once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { spawnMain } from '../../../test/support/broker-process.ts';
import { mosquittoPubLines } from '../../../test/support/mosquitto-clients.ts';
import { freePort, waitFor } from '../../../test/support/net.ts';
import { startInfluxd } from '../../../test/support/services.ts';
import { readings } from './helpers.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';

const burst = 2000;

interface Running {
  kill(): Promise<void>;
  output(): string;
}

/** main.ts on fixed ports and a data folder that outlives it (a SIGKILL must not take the data with it). */
async function startMain(env: Record<string, string>, httpPort: number): Promise<Running> {
  const run = spawnMain(env);
  const earlyExit = run.exited.then((code) => Promise.reject(new Error(`broker exited ${code}: ${run.output()}`)));
  earlyExit.catch(() => {});
  await Promise.race([waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok, 30_000, 'broker ready'), earlyExit]);
  return {
    output: run.output,
    async kill() {
      run.child.kill('SIGKILL');
      await run.exited;
    },
  };
}

async function metric(httpPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
}

async function historySeqs(httpPort: number, device: string, fromMs: number): Promise<number[]> {
  const query = new URLSearchParams({ device, field: 'seq', from: String(fromMs), to: String(Date.now() + 60_000) });
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/history?${query.toString()}`);
  const body = (await res.json()) as { points: Array<{ t: number; v: number }> };
  return body.points.map((p) => p.v).sort((a, b) => a - b);
}

/** 2,000 QoS 1 messages without `ts` from MQTT.js, all in flight at once; resolves on the last PUBACK. */
async function mqttJsBurst(mqttPort: number, device: string): Promise<void> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: device, reconnectPeriod: 0 });
  await Promise.all(Array.from({ length: burst }, (_, seq) => client.publishAsync(`devices/${device}/telemetry`, JSON.stringify({ seq }), { qos: 1 })));
  client.stream.destroy(); // no DISCONNECT: the process dies next
}

async function killAfterLastPuback(store: 'sqlite' | 'influxdb', influxUrl: string | null, t: { after(fn: () => unknown): void }): Promise<void> {
  const dataDir = tempDirFor(t, 'telemq-acked-');
  const mqttPort = await freePort();
  const httpPort = await freePort();
  const env: Record<string, string> = {
    TELEMQ_HOST: '127.0.0.1',
    TELEMQ_MQTT_PORT: String(mqttPort),
    TELEMQ_HTTP_PORT: String(httpPort),
    TELEMQ_DATA_DIR: dataDir,
    TELEMQ_AUTH: 'none',
    TELEMQ_LOG_LEVEL: 'info',
    ...(influxUrl ? { TELEMQ_INFLUX_URL: influxUrl } : {}),
  };
  const startedMs = Date.now() - 1000;
  const tsBase = Date.now() - 600_000;
  let broker = await startMain(env, httpPort);
  t.after(() => broker.kill());
  // with ts (mosquitto_pub -l, QoS 1) and without ts (MQTT.js, QoS 1) at once; the batcher holds up
  // to 1 s of points, so without the log the last of them would be lost with the process
  await Promise.all([
    mosquittoPubLines({ port: mqttPort, clientId: `${store}-with-ts` }, `devices/${store}-with-ts/telemetry`, readings(burst, tsBase), 1),
    mqttJsBurst(mqttPort, `${store}-no-ts`),
  ]);
  await broker.kill();

  broker = await startMain(env, httpPort);
  assert.match(broker.output(), /acknowledged messages from the last run are replayed/);
  const expected = Array.from({ length: burst }, (_, i) => i);
  for (const [device, from] of [[`${store}-with-ts`, tsBase - 1], [`${store}-no-ts`, startedMs]] as const) {
    await waitFor(async () => (await historySeqs(httpPort, device, from)).length >= burst, 30_000, `${device}: ${burst} points in /api/history`);
    assert.deepEqual(await historySeqs(httpPort, device, from), expected, `${device}: every acknowledged point, once`);
  }
  assert.ok((await metric(httpPort, 'telemq_bridge_ack_log_replayed_total')) > 0);
  // once the store has them, the log is trimmed: a second crash replays nothing
  await waitFor(async () => (await metric(httpPort, 'telemq_bridge_ack_log_bytes')) === 0, 20_000, 'the log trimmed');
  await broker.kill();
  broker = await startMain(env, httpPort);
  assert.equal(await metric(httpPort, 'telemq_bridge_ack_log_replayed_total'), 0, 'replayed exactly once');
  assert.deepEqual(await historySeqs(httpPort, `${store}-no-ts`, startedMs), expected);
}

test('SIGKILL right after the last PUBACK of QoS 1 bursts with and without ts: every point in the embedded store after restart', async (t) => {
  await killAfterLastPuback('sqlite', null, t);
});

test('SIGKILL right after the last PUBACK of QoS 1 bursts with and without ts: every point in InfluxDB after restart', async (t) => {
  const influxd = await startInfluxd();
  t.after(() => influxd.destroy());
  await killAfterLastPuback('influxdb', `${influxd.url}/acked`, t);
});
