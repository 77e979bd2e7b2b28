// A raw MQTT connection for conformance tests: frames written with mqtt-packet, every packet the
// broker sends parsed and kept, so a test can assert exactly what went over the wire.
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { waitFor } from './net.ts';

export interface RawMqtt {
  socket: net.Socket;
  packets: mqttPacket.Packet[];
  send(packet: Record<string, unknown>): void;
  sendBytes(bytes: Buffer): void;
  /** resolves with the first received packet of this type (already received or yet to come) */
  next(cmd: string, timeoutMs?: number): Promise<mqttPacket.Packet>;
  /** resolves when the broker has closed the connection */
  closed: Promise<void>;
  isClosed(): boolean;
  destroy(): void;
}

export async function connectRaw(port: number): Promise<RawMqtt> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: mqttPacket.Packet[] = [];
  parser.on('packet', (p: mqttPacket.Packet) => packets.push(p));
  socket.on('data', (d) => parser.parse(d));
  socket.on('error', () => {});
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  return {
    socket,
    packets,
    send: (packet) => socket.write(mqttPacket.generate(packet as unknown as mqttPacket.Packet)),
    sendBytes: (bytes) => socket.write(bytes),
    next: (cmd, timeoutMs = 5000) => waitFor(() => packets.find((p) => p.cmd === cmd), timeoutMs, `${cmd} from the broker`),
    closed,
    isClosed: () => isClosed,
    destroy: () => socket.destroy(),
  };
}

export const connectPacket = (fields: Record<string, unknown> = {}) => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 4,
  clean: true,
  clientId: 'raw',
  keepalive: 60,
  ...fields,
});
