// The real entry point: configuration errors stop start-up with one message and a non-zero exit;
// SIGTERM and SIGINT stop accepting, close clients cleanly and exit 0 within shutdownTimeoutMs.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { spawnMain, startBrokerProcess } from '../../test/support/broker-process.ts';
import { waitFor } from '../../test/support/net.ts';
import { tempDirFor } from '../../test/support/temp-dir.ts';

test('a bad TELEMQ_HTTP_PORT stops start-up with one message naming the key', async () => {
  const run = spawnMain({ TELEMQ_HTTP_PORT: 'eighty', TELEMQ_AUTH: 'none' });
  const code = await run.exited;
  assert.notEqual(code, 0);
  const lines = run.output().trim().split('\n');
  assert.equal(lines.length, 1, run.output());
  assert.match(lines[0]!, /transport\.httpPort \(TELEMQ_HTTP_PORT\)/);
  assert.match(lines[0]!, /expected number/);
});

test('a port out of range is refused the same way', async () => {
  const run = spawnMain({ TELEMQ_HTTP_PORT: '70000', TELEMQ_AUTH: 'none' });
  assert.notEqual(await run.exited, 0);
  assert.match(run.output(), /TELEMQ_HTTP_PORT.*65535/);
});

test('a bad value in the config file names its key; a file that does not parse names the file', async (t) => {
  const dir = tempDirFor(t, 'telemq-config-');
  const badValue = path.join(dir, 'bad-value.yaml');
  writeFileSync(badValue, 'transport:\n  keepaliveLimitSec: ten\n');
  const run1 = spawnMain({ TELEMQ_CONFIG: badValue, TELEMQ_AUTH: 'none' });
  assert.notEqual(await run1.exited, 0);
  assert.equal(run1.output().trim().split('\n').length, 1, run1.output());
  assert.match(run1.output(), /transport\.keepaliveLimitSec.*expected number/);

  const unknownKey = path.join(dir, 'unknown.json');
  writeFileSync(unknownKey, JSON.stringify({ transport: { httpPort: 8080 }, colour: 'blue' }));
  const run2 = spawnMain({ TELEMQ_CONFIG: unknownKey, TELEMQ_AUTH: 'none' });
  assert.notEqual(await run2.exited, 0);
  assert.match(run2.output(), /colour/);

  const broken = path.join(dir, 'broken.json');
  writeFileSync(broken, '{ "transport": ');
  const run3 = spawnMain({ TELEMQ_CONFIG: broken, TELEMQ_AUTH: 'none' });
  assert.notEqual(await run3.exited, 0);
  assert.match(run3.output(), /broken\.json \(TELEMQ_CONFIG\) is not a JSON or YAML object/);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: stops accepting, closes clients cleanly, exits 0 within shutdownTimeoutMs`, async (t) => {
    const shutdownTimeoutMs = 5000;
    const broker = await startBrokerProcess({ TELEMQ_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });
    t.after(() => broker.stop());
    const tcp = await mqtt.connectAsync(broker.mqttUrl, { clientId: 'tcp-client', reconnectPeriod: 0 });
    const ws = await mqtt.connectAsync(broker.wsUrl, { clientId: 'ws-client', reconnectPeriod: 0 });
    t.after(() => tcp.endAsync(true));
    t.after(() => ws.endAsync(true));
    const errors: Error[] = [];
    tcp.on('error', (err) => errors.push(err));
    ws.on('error', (err) => errors.push(err));
    const tcpClosed = new Promise<void>((r) => tcp.once('close', () => r()));
    const wsClosed = new Promise<void>((r) => ws.once('close', () => r()));
    // a message published just before the signal is still delivered (the queue is flushed)
    const received: string[] = [];
    ws.on('message', (_topic, payload) => received.push(payload.toString()));
    await ws.subscribeAsync('bye', { qos: 1 });
    await tcp.publishAsync('bye', 'last words', { qos: 1 });

    const started = Date.now();
    broker.child.kill(signal);
    await Promise.all([tcpClosed, wsClosed]);
    const code = await broker.exited;
    const elapsedMs = Date.now() - started;
    assert.equal(code, 0, broker.output());
    assert.ok(elapsedMs < shutdownTimeoutMs, `exited after ${elapsedMs} ms`);
    assert.deepEqual(received, ['last words']);
    assert.deepEqual(errors.map((e) => e.message), []);
    assert.match(broker.output(), /"msg":"stopped"/);
    // nothing listens any more
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(broker.ports.mqtt, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(true));
    });
    assert.equal(refused, true);
  });
}

test('readiness turns 503 while shutting down, then the port closes', async (t) => {
  const broker = await startBrokerProcess({ TELEMQ_SHUTDOWN_TIMEOUT_MS: '5000' });
  t.after(() => broker.stop());
  // a client that never closes its side keeps the drain busy for a moment
  const socket = net.connect(broker.ports.mqtt, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  t.after(() => socket.destroy());
  broker.child.kill('SIGTERM');
  assert.equal(await broker.exited, 0);
  await waitFor(() => socket.destroyed || socket.readyState === 'closed' || socket.readableEnded, 2000, 'socket closed by the broker');
});
