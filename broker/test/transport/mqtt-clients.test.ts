// Real clients we did not write: mosquitto_pub/sub over TCP, MQTT.js over WebSocket.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../../../test/support/app.ts';
import { mosquittoPub, mosquittoSub } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';

test('mosquitto_pub over TCP reaches MQTT.js over WebSocket, and the reverse', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());

  const ws = await mqtt.connectAsync(server.wsUrl, { clientId: 'ws-client', reconnectPeriod: 0 });
  t.after(() => ws.endAsync());
  const received: string[] = [];
  ws.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
  await ws.subscribeAsync('devices/+/telemetry', { qos: 1 });

  await mosquittoPub({ port: server.ports.mqtt }, 'devices/d1/telemetry', '{"temp":21.5}', { qos: 1 });
  await waitFor(() => received.length === 1, 5000, 'message over WebSocket');
  assert.equal(received[0], 'devices/d1/telemetry {"temp":21.5}');

  const sub = await mosquittoSub({ port: server.ports.mqtt }, 'devices/+/commands/#', { qos: 1 });
  t.after(() => sub.stop());
  await ws.publishAsync('devices/d1/commands/ping', '{}', { qos: 1 });
  await waitFor(() => sub.lines.length === 1, 5000, 'message over TCP');
  assert.equal(sub.lines[0], 'devices/d1/commands/ping {}');
});
