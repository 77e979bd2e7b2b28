// /healthz, /readyz and Prometheus /metrics, scraped after real traffic over TCP and WebSocket.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../../../test/support/app.ts';
import { mosquittoPubLines } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) return Number(match[3]);
  }
  return undefined;
}

test('health, readiness and metrics: connections by transport, messages, bytes, drops, event-loop lag', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());

  assert.deepEqual(await (await fetch(`${server.httpUrl}/healthz`)).json(), { status: 'ok' });
  const ready = await fetch(`${server.httpUrl}/readyz`);
  assert.equal(ready.status, 200);

  const ws = await mqtt.connectAsync(server.wsUrl, { clientId: 'metrics-ws', reconnectPeriod: 0 });
  t.after(() => ws.endAsync());
  const tcp = await mqtt.connectAsync(server.mqttUrl, { clientId: 'metrics-tcp', reconnectPeriod: 0 });
  t.after(() => tcp.endAsync());
  let received = 0;
  ws.on('message', () => received++);
  await ws.subscribeAsync('m/#', { qos: 0 });
  await mosquittoPubLines({ port: server.ports.mqtt }, 'm/a', Array.from({ length: 10 }, (_, i) => `payload-${i}`), 1);
  await waitFor(() => received === 10, 5000, '10 messages');

  const response = await fetch(`${server.httpUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
  const text = await response.text();
  assert.equal(sample(text, 'telemq_connections', { transport: 'ws' }), 1);
  assert.equal(sample(text, 'telemq_connections', { transport: 'tcp' }), 1, 'mosquitto_pub has gone, MQTT.js stays');
  assert.equal(sample(text, 'telemq_clients_connected'), 2);
  assert.equal(sample(text, 'telemq_messages_received_total'), 10);
  assert.equal(sample(text, 'telemq_messages_sent_total'), 10);
  assert.equal(sample(text, 'telemq_payload_bytes_received_total'), 10 * 'payload-0'.length);
  assert.ok((sample(text, 'telemq_bytes_received_total', { transport: 'tcp' }) ?? 0) > 10 * 'payload-0'.length);
  assert.ok((sample(text, 'telemq_bytes_sent_total', { transport: 'ws' }) ?? 0) > 10 * 'payload-0'.length);
  assert.equal(sample(text, 'telemq_messages_dropped_total', { reason: 'slow-consumer-qos0' }), 0);
  assert.notEqual(sample(text, 'telemq_nodejs_eventloop_lag_seconds'), undefined);
});

test('a publish to $SYS by a client is dropped and counted by reason', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  const client = await mqtt.connectAsync(server.mqttUrl, { clientId: 'sys-writer', reconnectPeriod: 0 });
  t.after(() => client.endAsync(true));
  client.publish('$SYS/x/y', 'no');
  await waitFor(async () => sample(await (await fetch(`${server.httpUrl}/metrics`)).text(), 'telemq_messages_dropped_total', { reason: 'sys-topic' }) === 1, 5000, 'sys-topic drop counted');
});
