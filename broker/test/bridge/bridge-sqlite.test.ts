import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';
import { bridgeSettled, publishBoth, sqliteCount, unlimited } from './helpers.ts';

test('20,000 messages from mosquitto_pub and MQTT.js → exactly 20,000 points in the embedded store', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, logLevel: 'info', guards: unlimited });
  t.after(() => server.close());
  const baseTs = Date.now() - 3_600_000;
  await publishBoth(server.ports.mqtt, 20_000, baseTs);
  await waitFor(() => sqliteCount(server.dataDir).total >= 20_000, 20_000, '20,000 points');
  await bridgeSettled(server.httpUrl, 20_000);
  assert.deepEqual(sqliteCount(server.dataDir), { total: 20_000, distinct: 20_000 });
  const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
  assert.match(metrics, /telemq_bridge_points_received_total\{app="telemq"\} 20000/);
  assert.match(metrics, /telemq_bridge_points_written_total\{app="telemq"\} 20000/);
});
