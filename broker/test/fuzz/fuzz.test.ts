// At least 20,000 malformed or random frames over TCP and WebSocket from several connections at
// once, while a well-behaved device publishes and a well-behaved console receives: the broker stays
// up, the console gets every message, neither is disconnected, and memory returns near its baseline.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import WebSocket from 'ws';
import { startTestApp } from '../../../test/support/app.ts';
import { sleep, waitFor } from '../../../test/support/net.ts';
import { connect, connackCode, deviceToken, signToken, securedConfig } from '../auth/helpers.ts';
import { createRng, frameKinds, malformedFrame, type Rng } from './frames.ts';

const targetFrames = 20_000;
const deadlineMs = 50_000;
const maxPacketBytes = 64 * 1024;

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  assert.ok(gc, 'run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Sends one session's frames over TCP, then half-closes; resolves when the socket is gone. */
function tcpSession(port: number, frames: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('data', () => {});
    socket.on('connect', () => {
      for (const frame of frames) if (!socket.destroyed) socket.write(frame);
      socket.end();
    });
  });
}

/** The same over WebSocket, one frame per message. */
function wsSession(url: string, frames: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['mqtt']);
    const timer = setTimeout(() => ws.terminate(), 2000);
    ws.on('error', () => {});
    ws.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.on('open', () => {
      for (const frame of frames) if (ws.readyState === WebSocket.OPEN) ws.send(frame);
      ws.close();
    });
  });
}

function sessionFrames(rng: Rng, token: string): Buffer[] {
  const frames: Buffer[] = [];
  const count = 1 + Math.floor(rng() * 20);
  for (let i = 0; i < count; i++) frames.push(...malformedFrame(frameKinds[Math.floor(rng() * frameKinds.length)]!, rng, token, maxPacketBytes));
  return frames;
}

test('fuzz: 20,000 malformed frames over TCP and WebSocket while good clients keep working', { timeout: 120_000 }, async (t) => {
  const server = await startTestApp(
    securedConfig({ logLevel: 'warn', guards: { maxPacketBytes, failedAuthPerIpPerMin: 1_000_000, connectAttemptsPerIpPerMin: 1_000_000, maxConnectionsPerIp: 10_000 } }),
  );
  t.after(() => server.close());
  const adminToken = await signToken({ sub: 'root', role: 'admin' });

  const consoleClient = await connect(server.wsUrl, { clientId: 'console-1', password: await signToken({ sub: 'alice', role: 'console' }) });
  t.after(() => consoleClient.endAsync(true));
  const device = await connect(server.mqttUrl, { clientId: 'd1', password: await deviceToken('d1') });
  t.after(() => device.endAsync(true));
  let disconnects = 0;
  consoleClient.on('close', () => disconnects++);
  device.on('close', () => disconnects++);
  const received: string[] = [];
  consoleClient.on('message', (topic, payload) => topic === 'devices/d1/telemetry' && received.push(payload.toString()));
  await consoleClient.subscribeAsync('devices/+/telemetry', { qos: 1 });

  // warm up every path once, then take the baseline
  const warmRng = createRng(1);
  for (let i = 0; i < 20; i++) await Promise.all([tcpSession(server.ports.mqtt, sessionFrames(warmRng, adminToken)), wsSession(server.wsUrl, sessionFrames(warmRng, adminToken))]);
  await waitFor(() => server.app.broker.connectedClients() === 2, 10_000, 'warm-up sessions to close');
  const baselineBytes = heapAfterGc();

  // the well-behaved device publishes throughout
  const sent: string[] = [];
  let fuzzing = true;
  const publisher = (async () => {
    for (let i = 0; fuzzing || i < 20; i++) {
      const payload = JSON.stringify({ seq: i, temp: 20 + (i % 10) });
      await device.publishAsync('devices/d1/telemetry', payload, { qos: 1 });
      sent.push(payload);
      await sleep(25);
    }
  })();

  let frames = 0;
  const started = Date.now();
  const worker = async (seed: number, transport: 'tcp' | 'ws') => {
    const rng = createRng(seed);
    while (frames < targetFrames && Date.now() - started < deadlineMs) {
      const batch = sessionFrames(rng, adminToken);
      frames += batch.length;
      await (transport === 'tcp' ? tcpSession(server.ports.mqtt, batch) : wsSession(server.wsUrl, batch));
    }
  };
  await Promise.all([worker(11, 'tcp'), worker(12, 'tcp'), worker(13, 'tcp'), worker(21, 'ws'), worker(22, 'ws'), worker(23, 'ws')]);
  fuzzing = false;
  await publisher;
  const fuzzMs = Date.now() - started;
  t.diagnostic(`${frames} frames in ${fuzzMs} ms; ${sent.length} good messages`);
  assert.ok(frames >= targetFrames, `sent ${frames} frames`);
  const metricsText = await (await fetch(`${server.httpUrl}/metrics`)).text();
  t.diagnostic(metricsText.split('\n').filter((l) => l.startsWith('telemq_refusals_total')).join('; '));

  await waitFor(() => received.length === sent.length, 10_000, 'every good message');
  assert.deepEqual(received, sent);
  assert.equal(disconnects, 0, 'the good clients stayed connected');

  // the broker is up and answering
  assert.equal((await fetch(`${server.httpUrl}/healthz`)).status, 200);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'd2', password: await deviceToken('d2') }), 0);
  await waitFor(() => server.app.broker.connectedClients() === 2, 10_000, 'fuzz sessions to close');

  // memory returns near the baseline
  await sleep(500);
  const afterBytes = heapAfterGc();
  t.diagnostic(`heap: baseline ${(baselineBytes / 2 ** 20).toFixed(1)} MiB, after ${(afterBytes / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(afterBytes - baselineBytes < 8 * 2 ** 20, `heap grew by ${((afterBytes - baselineBytes) / 2 ** 20).toFixed(1)} MiB`);
});
