// Counts PUBLISH packets on a subscription by walking MQTT fixed headers (type nibble and
// remaining length) across chunk boundaries; payloads are skipped, never copied or decoded.
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { WebSocket } from 'ws';
import type { FloodTarget } from '../test/support/flood.ts';

export interface PublishCounter {
  received(): number;
}

export async function countPublishes(target: FloodTarget, filter: string): Promise<PublishCounter> {
  let received = 0;
  let header: number[] = [];
  let skip = 0;
  const feed = (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - i);
        skip -= n;
        i += n;
        continue;
      }
      header.push(chunk[i++]!);
      // header[0] is the type byte; then 1-4 remaining-length bytes, the last without 0x80
      if (header.length >= 2 && (header[header.length - 1]! & 0x80) === 0) {
        let length = 0;
        for (let k = header.length - 1; k >= 1; k--) length = length * 128 + (header[k]! & 0x7f);
        if (header[0]! >> 4 === 3) received++;
        skip = length;
        header = [];
      }
    }
  };
  const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `bench-counter-${process.pid}`, keepalive: 0 });
  const subscribe = mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 0 }] });
  if (target.transport === 'tcp') {
    const socket = net.connect(target.port, target.host ?? '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('data', feed);
    socket.write(Buffer.concat([connect, subscribe]));
  } else {
    const ws = new WebSocket(`ws://${target.host ?? '127.0.0.1'}:${target.port}${target.wsPath ?? '/mqtt'}`, 'mqtt');
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.on('message', (d: Buffer) => feed(d));
    ws.send(Buffer.concat([connect, subscribe]));
  }
  return { received: () => received };
}
