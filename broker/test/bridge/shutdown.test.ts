// Closing flushes the open batch to the store, or to the spool when the store does not answer; a
// store that never answers does not hold up delivery between clients.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../../../test/support/app.ts';
import { fetchMetric } from '../../../test/support/metrics.ts';
import { mosquittoPubLines } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';
import { openSpool } from '../../src/bridge/spool.ts';
import { readings, sqliteCount, unlimited } from './helpers.ts';

const tempDir = (t: { after(fn: () => void): void }) => tempDirFor(t, 'telemq-shutdown-');

test('app.close() writes the open batch to the store', async (t) => {
  const dataDir = tempDir(t);
  const server = await startTestApp({ auth: { mode: 'none' }, guards: unlimited, bridge: { flushIntervalMs: 600_000, maxBatchPoints: 100_000 } }, { dataDir });
  await mosquittoPubLines({ port: server.ports.mqtt }, 'devices/s1/telemetry', readings(3000, Date.now() - 60_000), 1);
  await waitFor(async () => (await fetchMetric(server.httpUrl, 'telemq_bridge_points_received_total')) === 3000, 10_000, 'the bridge to hold 3,000 points');
  await server.close();
  assert.deepEqual(sqliteCount(dataDir), { total: 3000, distinct: 3000 });
});

test('a store that never answers holds up neither delivery nor shutdown; what it did not take is spooled', async (t) => {
  const dataDir = tempDir(t);
  // Accepts connections and never answers: every write hangs until its timeout.
  const sockets = new Set<net.Socket>();
  const blackhole = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    blackhole.close();
  });
  const port = (blackhole.address() as net.AddressInfo).port;
  const server = await startTestApp({ auth: { mode: 'none' }, logLevel: 'info', guards: unlimited, store: { influxUrl: `http://127.0.0.1:${port}/telemq` }, bridge: { flushIntervalMs: 50 } }, { dataDir });

  const subscriber = await mqtt.connectAsync(server.wsUrl, { clientId: 'watcher', reconnectPeriod: 0 });
  t.after(() => subscriber.endAsync());
  let received = 0;
  subscriber.on('message', () => received++);
  await subscriber.subscribeAsync('devices/+/telemetry', { qos: 1 });
  await mosquittoPubLines({ port: server.ports.mqtt }, 'devices/s2/telemetry', readings(2000, Date.now() - 60_000), 1);
  await waitFor(() => received === 2000, 10_000, 'every message delivered while the store hangs');

  const closed = Date.now();
  await server.close();
  assert.ok(Date.now() - closed < 9000, 'shutdown did not wait for the store');
  const spool = openSpool({ dir: path.join(dataDir, 'spool'), maxBytes: 1024 ** 3, fullPolicy: 'drop-oldest' });
  assert.equal(spool.points, 2000, 'everything accepted is on disk for the next start');
});
