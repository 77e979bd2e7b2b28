// Chunks buffered on a connection leave it as one buffer: one kernel write for a TCP socket, one
// frame for a WebSocket, however many small packets were written in the turn.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { joinSocketWrites } from '../../src/transport/joined-writes.ts';
import { createMqttWebSocketStream } from '../../src/transport/ws-stream.ts';

const packets = Array.from({ length: 3000 }, (_, i) => Buffer.from(`packet ${i};`));
const expected = Buffer.concat(packets);

/** Collects what arrives; `all` resolves once `length` bytes have. */
function collector(length: number) {
  const chunks: Buffer[] = [];
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  return {
    chunks,
    all,
    add(chunk: Buffer) {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= length) done();
    },
  };
}

test('a corked TCP socket hands everything written in the turn to the kernel as one buffer', async (t) => {
  const received = collector(expected.length);
  const server = net.createServer((peer) => peer.on('data', received.add));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  t.after(() => socket.destroy());

  const writes: number[] = [];
  const withWrite = socket as net.Socket & { _write(data: Buffer, encoding: string, cb: () => void): void };
  const write = withWrite._write.bind(socket);
  withWrite._write = (data, encoding, cb) => {
    writes.push(data.length);
    write(data, encoding, cb);
  };
  joinSocketWrites(socket);

  socket.cork();
  for (const packet of packets) socket.write(packet);
  process.nextTick(() => socket.uncork());
  await new Promise<void>((resolve) => socket.write(Buffer.alloc(0), () => resolve()));

  assert.deepEqual(writes.slice(0, 1), [expected.length]);
  await received.all;
  assert.ok(Buffer.concat(received.chunks).equals(expected));
});

test('what is written to a WebSocket stream in one corked turn goes out as one frame', async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  t.after(() => wss.close());
  const all = Buffer.concat([expected, Buffer.from('end;')]);
  const frames = collector(all.length);
  wss.on('connection', (peer) => peer.on('message', frames.add));
  const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
  await once(ws, 'open');
  t.after(() => ws.terminate());
  const stream = createMqttWebSocketStream(ws);

  stream.cork();
  for (const packet of packets) stream.write(packet);
  process.nextTick(() => stream.uncork());
  await new Promise<void>((resolve) => stream.write(Buffer.from('end;'), () => resolve()));
  await frames.all;
  assert.ok(Buffer.concat(frames.chunks).equals(all));
  assert.ok(frames.chunks.length <= 2, `${frames.chunks.length} frames`);
});
