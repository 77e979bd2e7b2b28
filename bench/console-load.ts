// The console bench's load: `connections` raw MQTT connections (mqtt-packet over TCP) publishing
// QoS 0 telemetry for `devices` device ids round-robin at `rate` messages per second: each device
// every devices / rate seconds, steadily, always on the same connection. The caller keeps each
// connection under the broker's guards.publishRatePerSec (default 100/s), which drops a QoS 0
// publish over it: with 4 connections at 1,000 msg/s six in ten were dropped, and devices seen
// only now and then turned stale on the fleet page. Paced by the
// clock every 10 ms; what is due goes out as one write per connection (many frames per write),
// with payloads from a pre-built pool, so the generator's CPU stays far below the broker's (the
// bench prints both).
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { topics } from '../broker/src/contract/index.ts';

export interface ConsoleLoad {
  sent(): number;
  stop(): Promise<void>;
}

async function connectRaw(port: number, clientId: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  const connack = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 0 }));
  await connack;
  socket.on('data', () => {}); // nothing is subscribed: only keep reading
  return socket;
}

export async function startConsoleLoad(options: { port: number; connections: number; devices: number; rate: number; prefix: string }): Promise<ConsoleLoad> {
  const sockets = await Promise.all(Array.from({ length: options.connections }, (_, i) => connectRaw(options.port, `load-${i}`)));
  const ids = Array.from({ length: options.devices }, (_, i) => `${options.prefix}-${i + 1}`);
  // Each device is online (retained status), as a real device's first message says, sent on the
  // device's own connection (a connection past guards.maxRetainedTopicsPerClient, 100 by default,
  // has the rest refused: with 5,000 devices some are, and the summary counts them).
  sockets.forEach((socket, s) => {
    const mine = ids.filter((_, device) => device % sockets.length === s);
    const burst = mine.map((id) => mqttPacket.generate({ cmd: 'publish', topic: topics.status(id), payload: Buffer.from('online'), qos: 0, retain: true, dup: false }));
    if (burst.length > 0) socket.write(Buffer.concat(burst));
  });
  const payloads = Array.from({ length: 256 }, (_, i) =>
    Buffer.from(JSON.stringify({ temperature: +(20 + Math.sin(i / 9) * 3).toFixed(2), humidity: +(40 + (i % 17) + Math.cos(i)).toFixed(1), power: (i * 37) % 1000 })),
  );
  let sent = 0;
  const startMs = Date.now();
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - startMs) * options.rate) / 1000);
    const perSocket: Buffer[][] = sockets.map(() => []);
    for (; sent < due; sent++) {
      const device = sent % ids.length;
      perSocket[device % sockets.length]!.push(mqttPacket.generate({ cmd: 'publish', topic: topics.telemetry(ids[device]!), payload: payloads[sent % payloads.length]!, qos: 0, retain: false, dup: false }));
    }
    perSocket.forEach((packets, i) => packets.length > 0 && sockets[i]!.write(Buffer.concat(packets)));
  }, 10);
  return {
    sent: () => sent,
    async stop() {
      clearInterval(timer);
      await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.end(resolve))));
    },
  };
}
