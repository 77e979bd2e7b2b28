// Counts PUBLISH packets on a subscription by walking MQTT fixed headers (type nibble and
// remaining length) across chunk boundaries; payloads are skipped, never copied or decoded. At
// QoS 1 each PUBLISH's packet identifier is read (the bytes after its topic) and the PUBACKs of a
// chunk go back in one write.
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { WebSocket } from 'ws';
import type { FloodTarget } from '../test/support/flood.ts';

export interface PublishCounter {
  received(): number;
}

export async function countPublishes(target: FloodTarget, filter: string, qos: 0 | 1 = 0): Promise<PublishCounter> {
  let received = 0;
  let send: (bytes: Buffer) => void = () => {};
  let rest: Buffer | null = null;
  // QoS 1: whole packets are needed for their identifiers; a packet cut by a chunk boundary waits in `rest`
  const feed1 = (chunk: Buffer) => {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    const ids: number[] = [];
    let i = 0;
    for (;;) {
      let length = 0;
      let k = i + 1;
      let multiplier = 1;
      let complete = false;
      for (; k < buf.length && k < i + 5; k++) {
        length += (buf[k]! & 0x7f) * multiplier;
        multiplier *= 128;
        if ((buf[k]! & 0x80) === 0) {
          complete = true;
          k++;
          break;
        }
      }
      if (!complete || k + length > buf.length) break;
      if (buf[i]! >> 4 === 3) {
        received++;
        if ((buf[i]! >> 1) & 3) ids.push(buf.readUInt16BE(k + 2 + buf.readUInt16BE(k)));
      }
      i = k + length;
    }
    rest = i < buf.length ? Buffer.from(buf.subarray(i)) : null;
    if (ids.length === 0) return;
    const acks = Buffer.allocUnsafe(4 * ids.length);
    for (let n = 0; n < ids.length; n++) {
      acks[4 * n] = 0x40;
      acks[4 * n + 1] = 2;
      acks.writeUInt16BE(ids[n]!, 4 * n + 2);
    }
    send(acks);
  };
  let header: number[] = [];
  let skip = 0;
  const feed0 = (chunk: Buffer) => {
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
  const subscribe = mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos }] });
  const feed = qos === 0 ? feed0 : feed1;
  if (target.transport === 'tcp') {
    const socket = net.connect(target.port, target.host ?? '127.0.0.1');
    // PUBACKs are small writes: without this, Nagle holds each until the broker's delayed ACK
    socket.setNoDelay(true);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('data', feed);
    send = (bytes) => socket.write(bytes);
    socket.write(Buffer.concat([connect, subscribe]));
  } else {
    const ws = new WebSocket(`ws://${target.host ?? '127.0.0.1'}:${target.port}${target.wsPath ?? '/mqtt'}`, 'mqtt');
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.on('message', (d: Buffer) => feed(d));
    send = (bytes) => ws.send(bytes);
    ws.send(Buffer.concat([connect, subscribe]));
  }
  return { received: () => received };
}
