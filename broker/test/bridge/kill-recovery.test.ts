// The broker process killed with SIGKILL while InfluxDB is down: what was spooled is replayed at the
// next start once the store is back, nothing missing, nothing doubled.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { spawnMain } from '../../../test/support/broker-process.ts';
import { mosquittoPubLines } from '../../../test/support/mosquitto-clients.ts';
import { freePort, waitFor } from '../../../test/support/net.ts';
import { startInfluxd } from '../../../test/support/services.ts';
import { stopProcess } from '../../../test/support/stop-process.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';
import { adminPassword, deviceToken, testSecret } from '../auth/helpers.ts';
import { influxCount, readings, unlimited } from './helpers.ts';

async function startBroker(env: Record<string, string>, httpPort: number): Promise<ReturnType<typeof spawnMain>> {
  const run = spawnMain(env);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok, 30_000, `broker on ${httpPort}: ${run.output()}`);
  return run;
}

async function metric(httpPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

test('SIGKILL while the store is down and points are spooled → after restart and recovery, nothing missing, nothing doubled', async (t) => {
  const influxd = await startInfluxd();
  t.after(() => influxd.destroy());
  const dataDir = tempDirFor(t, 'telemq-kill-');
  const configFile = path.join(dataDir, 'telemq.json');
  writeFileSync(configFile, JSON.stringify({ auth: { scryptCostLog2: 10 }, guards: unlimited, bridge: { retryBaseMs: 200, retryMaxMs: 1000, flushIntervalMs: 100, maxBatchPoints: 1000 } }));
  const mqttPort = await freePort();
  const httpPort = await freePort();
  const env = {
    TELEMQ_CONFIG: configFile,
    TELEMQ_DATA_DIR: dataDir,
    TELEMQ_INFLUX_URL: `${influxd.url}/telemq`,
    TELEMQ_HOST: '127.0.0.1',
    TELEMQ_MQTT_PORT: String(mqttPort),
    TELEMQ_HTTP_PORT: String(httpPort),
    TELEMQ_AUTH: 'required',
    TELEMQ_JWT_SECRET: testSecret,
    TELEMQ_ADMIN_PASSWORD: adminPassword,
    TELEMQ_LOG_LEVEL: 'info',
  };
  const baseTs = Date.now() - 3_600_000;
  const token = await deviceToken('killed');
  const publish = (offset: number, count: number) =>
    mosquittoPubLines({ port: mqttPort, clientId: 'killed', username: 'killed', password: token }, 'devices/killed/telemetry', readings(count, baseTs, offset), 1);

  let broker = await startBroker(env, httpPort);
  t.after(() => broker.child.kill('SIGKILL'));
  await publish(0, 5000);
  await waitFor(async () => (await influxCount(influxd.url, 'telemq')).total === 5000, 20_000, 'first 5,000 points');

  await influxd.stop();
  await publish(5000, 10_000);
  await waitFor(async () => (await metric(httpPort, 'telemq_bridge_points_spooled_total')) >= 10_000, 20_000, '10,000 points spooled');
  assert.equal(await stopProcess(broker.child, { signal: 'SIGKILL' }), 'SIGKILL');

  broker = await startBroker(env, httpPort);
  assert.match(broker.output(), /spooled points from the last run will be replayed/);
  await publish(15_000, 5000); // more while the store is still down
  await waitFor(async () => (await metric(httpPort, 'telemq_bridge_points_spooled_total')) >= 5000, 20_000, 'new points spooled behind the old');
  await influxd.start();
  await waitFor(async () => (await influxCount(influxd.url, 'telemq')).total >= 20_000, 60_000, '20,000 points after recovery');
  // the bridge is done: the spool drained and every replayed and new point (10,000 + 5,000) written
  await waitFor(async () => (await metric(httpPort, 'telemq_bridge_spool_bytes')) === 0 && (await metric(httpPort, 'telemq_bridge_points_written_total')) >= 15_000, 30_000, 'spool drained');
  assert.deepEqual(await influxCount(influxd.url, 'telemq'), { total: 20_000, distinct: 20_000 });
  assert.equal(await metric(httpPort, 'telemq_bridge_spool_bytes'), 0, 'the spool is empty again');

  assert.equal(await stopProcess(broker.child), 0, broker.output());
});
