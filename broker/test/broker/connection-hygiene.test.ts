// Every closed connection is released: 2,000 connect/disconnect cycles (clean DISCONNECT and
// abrupt close, over TCP and WebSocket) leave 0 clients and a heap within a bound of its baseline.
// Run with --expose-gc (scripts/test.mjs does).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { WebSocket } from 'ws';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { sleep, waitFor } from '../../../test/support/net.ts';

const cycles = Number(process.env.TELEMQ_CYCLES ?? 2000);
const concurrency = 20;
/** heap growth allowed after all cycles, against the baseline taken after a warm-up */
const maxHeapGrowthBytes = 8 * 1024 * 1024;

type Variant = { transport: 'tcp' | 'ws'; ending: 'clean' | 'abrupt' };
const variants: Variant[] = [
  { transport: 'tcp', ending: 'clean' },
  { transport: 'tcp', ending: 'abrupt' },
  { transport: 'ws', ending: 'clean' },
  { transport: 'ws', ending: 'abrupt' },
];

/** One MQTT session: CONNECT (with a will and a subscription, so there is state to release), then the ending. */
async function cycle(server: TestApp, variant: Variant, i: number): Promise<void> {
  const clientId = `cycle-${variant.transport}-${variant.ending}-${i}`;
  const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 30, will: { topic: `devices/${clientId}/status`, payload: Buffer.from('offline'), qos: 1, retain: false } });
  const subscribe = mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `devices/${clientId}/commands/#`, qos: 1 }] });
  const disconnect = mqttPacket.generate({ cmd: 'disconnect' });
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const suback = new Promise<void>((resolve) => parser.on('packet', (p: mqttPacket.Packet) => p.cmd === 'suback' && resolve()));

  if (variant.transport === 'tcp') {
    const socket = net.connect(server.ports.mqtt, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('data', (d) => parser.parse(d));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(Buffer.concat([connect, subscribe]));
    await suback;
    if (variant.ending === 'clean') socket.end(disconnect);
    else socket.destroy();
    await closed;
    return;
  }
  const ws = new WebSocket(`${server.wsUrl}`, 'mqtt');
  ws.on('error', () => {});
  ws.on('message', (d: Buffer) => parser.parse(d));
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(Buffer.concat([connect, subscribe]));
  await suback;
  if (variant.ending === 'clean') {
    ws.send(disconnect);
    ws.close();
  } else ws.terminate();
  await closed;
}

async function runCycles(server: TestApp, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        await cycle(server, variants[i % variants.length]!, i);
      }
    }),
  );
}

async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  assert.ok(gc, 'run with --expose-gc');
  for (let i = 0; i < 4; i++) {
    await sleep(100);
    gc();
  }
  return process.memoryUsage().heapUsed;
}

test(`${cycles} connect/disconnect cycles (clean and abrupt, TCP and WS) leave 0 clients and a steady heap`, { timeout: 120_000 }, async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' }, logLevel: 'warn' });
  t.after(() => server.close());

  await runCycles(server, 200); // warm-up: JIT, pools, caches
  await waitFor(() => server.app.broker.connectedClients() === 0, 5000, '0 clients after warm-up');
  const baseline = await settledHeap();

  await runCycles(server, cycles);
  await waitFor(() => server.app.broker.connectedClients() === 0, 10_000, '0 clients');
  const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
  for (const transport of ['tcp', 'ws']) {
    assert.match(metrics, new RegExp(`telemq_connections\\{transport="${transport}"[^}]*\\} 0\\n`), `no open ${transport} connections`);
  }
  const after = await settledHeap();
  const growth = after - baseline;
  t.diagnostic(`heap baseline ${(baseline / 1048576).toFixed(1)} MB, after ${cycles} cycles ${(after / 1048576).toFixed(1)} MB, growth ${(growth / 1048576).toFixed(2)} MB (bound ${maxHeapGrowthBytes / 1048576} MB)`);
  assert.ok(growth < maxHeapGrowthBytes, `heap grew ${growth} bytes`);
});
