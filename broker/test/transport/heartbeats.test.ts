// WebSocket ping/pong and MQTT keepalive: silent peers are cut off, live ones stay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { WebSocket } from 'ws';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';
import { connectPacket, connectRaw } from '../../../test/support/raw-mqtt.ts';

/** An MQTT over WebSocket connection of our own, counting the server's pings (answered unless told not to). */
async function wsPeer(url: string, clientId: string, options: { answerPings: boolean }) {
  const ws = new WebSocket(url, 'mqtt', { autoPong: options.answerPings });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(mqttPacket.generate(connectPacket({ clientId, keepalive: 60 }) as mqttPacket.Packet));
  const peer = { ws, pings: 0, closed: false };
  ws.on('ping', () => peer.pings++);
  ws.once('close', () => (peer.closed = true));
  return peer;
}

test('a WebSocket that does not answer pings is terminated; one that does stays', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, transport: { ws: { pingIntervalMs: 200 } } });
  t.after(() => server.close());
  const live = await wsPeer(server.wsUrl, 'answers-pings', { answerPings: true });
  t.after(() => live.ws.terminate());
  const silent = await wsPeer(server.wsUrl, 'silent', { answerPings: false });
  t.after(() => silent.ws.terminate());

  await waitFor(() => silent.closed, 10_000, 'the silent socket terminated');
  // one ping goes unanswered for a whole interval, then the socket is cut at the next round
  assert.ok(silent.pings >= 1 && silent.pings <= 2, `terminated after ${silent.pings} unanswered pings`);
  const pingsSoFar = live.pings;
  await waitFor(() => live.pings >= pingsSoFar + 3, 10_000, 'three more pings to the live socket');
  assert.equal(live.closed, false, 'the socket that answers pings is still open');
});

test('a WebSocket whose pong is late but whose data keeps arriving is not terminated', async (t) => {
  // Under load a publisher's pong queues behind its own PUBLISH frames; bytes read count as life.
  const server = await startTestApp({ auth: { mode: 'none' }, transport: { ws: { pingIntervalMs: 200 } } });
  t.after(() => server.close());
  const busy = await wsPeer(server.wsUrl, 'busy', { answerPings: false });
  t.after(() => busy.ws.terminate());
  const pingreq = Buffer.from([0xc0, 0x00]);
  const ticker = setInterval(() => busy.ws.send(pingreq), 50);
  t.after(() => clearInterval(ticker));
  await waitFor(() => busy.pings >= 5, 10_000, 'five pings');
  assert.equal(busy.closed, false, 'a socket that keeps sending is alive without a pong');
  clearInterval(ticker);
  await waitFor(() => busy.closed, 10_000, 'termination once it falls silent');
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
  // timed from before CONNECT is sent: the broker's keepalive clock starts when it reads the CONNECT,
  // later than this however loaded the machine, so the bound below holds whatever the load
  const started = Date.now();
  raw.send(connectPacket({ clientId: 'sleepy', keepalive: 1, will: { topic: 'devices/sleepy/status', payload: Buffer.from('offline'), qos: 1, retain: false } }));
  await raw.next('connack');
  await raw.closed;
  const elapsedMs = Date.now() - started;
  // never before 1.5 x keepalive; how much later depends on the machine's load
  assert.ok(elapsedMs >= 1400, `closed after ${elapsedMs} ms [MQTT-3.1.2-24]`);
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
    // the limit of 1 s applies: closed long before the 3600 s asked (or never, for 0)
    await waitFor(() => raw.isClosed(), 30_000, `a client that asked for ${asked} s closed after the 1 s limit`);
  }
});

test('keepalive: a client that pings within its keepalive stays connected', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  const client = await mqtt.connectAsync(server.mqttUrl, { clientId: 'pinger', reconnectPeriod: 0, keepalive: 1 });
  t.after(() => client.endAsync());
  let pingResponses = 0;
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'pingresp') pingResponses++;
  });
  // three keepalive rounds span more than the 1.5 s after which a silent client is cut
  await waitFor(() => pingResponses >= 3, 15_000, 'three PINGRESPs');
  assert.equal(client.connected, true);
});
