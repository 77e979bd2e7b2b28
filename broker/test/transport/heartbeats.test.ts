// WebSocket ping/pong and MQTT keepalive: silent peers are cut off, live ones stay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { WebSocket } from 'ws';
import { startTestApp } from '../../../test/support/app.ts';
import { sleep, waitFor } from '../../../test/support/net.ts';
import { connectPacket, connectRaw } from '../../../test/support/raw-mqtt.ts';

test('a WebSocket that does not answer pings is terminated; one that does stays', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, transport: { ws: { pingIntervalMs: 200 } } });
  t.after(() => server.close());

  const live = await mqtt.connectAsync(server.wsUrl, { clientId: 'answers-pings', reconnectPeriod: 0, keepalive: 60 });
  t.after(() => live.endAsync(true));

  const silent = new WebSocket(server.wsUrl, 'mqtt', { autoPong: false });
  t.after(() => silent.terminate());
  let pings = 0;
  silent.on('ping', () => pings++);
  await new Promise((resolve, reject) => silent.once('open', resolve).once('error', reject));
  const closedAt = new Promise<number>((resolve) => silent.once('close', () => resolve(Date.now())));
  const openedAt = Date.now();

  const elapsedMs = (await closedAt) - openedAt;
  assert.ok(pings >= 1, 'the server pinged');
  assert.ok(elapsedMs < 2000, `terminated after ${elapsedMs} ms, within a few ping intervals`);
  assert.equal(live.connected, true, 'the client that answers pings is still connected');
  await sleep(500);
  assert.equal(live.connected, true);
});

test('a WebSocket whose pong is late but whose data keeps arriving is not terminated', async (t) => {
  // Under load a publisher's pong queues behind its own PUBLISH frames; bytes read count as life.
  const server = await startTestApp({ auth: { mode: 'none' }, transport: { ws: { pingIntervalMs: 200 } } });
  t.after(() => server.close());
  const busy = new WebSocket(server.wsUrl, 'mqtt', { autoPong: false });
  t.after(() => busy.terminate());
  await new Promise((resolve, reject) => busy.once('open', resolve).once('error', reject));
  busy.send(mqttPacket.generate(connectPacket({ clientId: 'busy', keepalive: 60 }) as mqttPacket.Packet));
  let pings = 0;
  busy.on('ping', () => pings++);
  let closed = false;
  busy.once('close', () => (closed = true));
  const pingreq = Buffer.from([0xc0, 0x00]);
  const ticker = setInterval(() => busy.send(pingreq), 50);
  t.after(() => clearInterval(ticker));
  await sleep(1500);
  assert.ok(pings >= 3, `the server pinged (${pings})`);
  assert.equal(closed, false, 'a socket that keeps sending is alive without a pong');
  clearInterval(ticker);
  await waitFor(() => closed, 2000, 'termination once it falls silent');
});

test('keepalive: a silent client is disconnected after 1.5 x keepalive and its will is published', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  const watcher = await mqtt.connectAsync(server.mqttUrl, { clientId: 'watcher', reconnectPeriod: 0 });
  t.after(() => watcher.endAsync());
  const wills: string[] = [];
  watcher.on('message', (topic, payload) => wills.push(`${topic} ${payload.toString()}`));
  await watcher.subscribeAsync('devices/+/status', { qos: 1 });

  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  raw.send(connectPacket({ clientId: 'sleepy', keepalive: 1, will: { topic: 'devices/sleepy/status', payload: Buffer.from('offline'), qos: 1, retain: false } }));
  await raw.next('connack');
  const started = Date.now();
  await raw.closed;
  const elapsedMs = Date.now() - started;
  assert.ok(elapsedMs >= 1400 && elapsedMs < 4000, `closed after ${elapsedMs} ms [MQTT-3.1.2-24]`);
  await waitFor(() => wills.includes('devices/sleepy/status offline'), 5000, 'the last will');
});

test('keepaliveLimitSec bounds what a client may ask for, including 0 (no keepalive)', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, transport: { keepaliveLimitSec: 1 } });
  t.after(() => server.close());
  for (const asked of [3600, 0]) {
    const raw = await connectRaw(server.ports.mqtt);
    t.after(() => raw.destroy());
    raw.send(connectPacket({ clientId: `asks-${asked}`, keepalive: asked }));
    const connack = (await raw.next('connack')) as { returnCode: number };
    assert.equal(connack.returnCode, 0, 'accepted: 3.1.1 has no return code for a keepalive the server dislikes');
    const started = Date.now();
    await raw.closed;
    const elapsedMs = Date.now() - started;
    assert.ok(elapsedMs < 4000, `asked ${asked} s, cut after ${elapsedMs} ms`);
  }
});

test('keepalive: a client that pings within its keepalive stays connected', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  const client = await mqtt.connectAsync(server.mqttUrl, { clientId: 'pinger', reconnectPeriod: 0, keepalive: 1 });
  t.after(() => client.endAsync());
  await sleep(3500);
  assert.equal(client.connected, true);
});
