// A flat-out MQTT load generator: N publishers, each a raw connection writing pre-encoded QoS 0 or
// QoS 1 PUBLISH packets as fast as its socket accepts them (it waits for 'drain', so the generator
// itself stays bounded), and counting subscribers. Shared by the load test and bench/.
// At QoS 1 the packets of the bursts carry distinct packet identifiers (a ring of 65,472), and the
// PUBACKs are counted from the byte count alone: after the 4-byte CONNACK a publisher with
// keepalive 0 receives nothing but 4-byte PUBACKs, so nothing is parsed.
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { WebSocket } from 'ws';

export type FloodTransport = 'tcp' | 'ws';

export interface FloodTarget {
  transport: FloodTransport;
  host?: string;
  /** TCP port, or the HTTP port for ws */
  port: number;
  /** WebSocket path; default /mqtt; '' for a broker that serves MQTT at / */
  wsPath?: string;
}

interface Link {
  write(bytes: Buffer): Promise<void>;
  onData(fn: (bytes: Buffer) => void): void;
  close(): void;
  closed: Promise<void>;
}

async function openLink(target: FloodTarget): Promise<Link> {
  const host = target.host ?? '127.0.0.1';
  if (target.transport === 'tcp') {
    const socket = net.connect(target.port, host);
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    return {
      write(bytes) {
        if (socket.write(bytes) || socket.destroyed) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const done = () => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.on('drain', done);
          socket.on('close', done);
        });
      },
      onData: (fn) => socket.on('data', fn),
      close: () => socket.destroy(),
      closed,
    };
  }
  const ws = new WebSocket(`ws://${host}:${target.port}${target.wsPath ?? '/mqtt'}`, 'mqtt');
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.on('error', () => {});
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  return {
    async write(bytes) {
      if (ws.readyState !== WebSocket.OPEN) return;
      await new Promise<void>((resolve) => {
        ws.send(bytes, () => resolve());
        // terminate() does not always call back pending sends
        void closed.then(() => resolve());
      });
    },
    onData: (fn) => ws.on('message', (data: Buffer) => fn(data)),
    close: () => ws.terminate(),
    closed,
  };
}

interface Session {
  link: Link;
  parser: ReturnType<typeof mqttPacket.parser>;
  /** what arrives from now on is left to the caller's own onData */
  stopParsing(): void;
}

async function mqttSession(target: FloodTarget, clientId: string, keepalive = 60): Promise<Session> {
  const link = await openLink(target);
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let isParsing = true;
  link.onData((d) => isParsing && parser.parse(d));
  const connack = new Promise<void>((resolve, reject) => {
    parser.once('packet', (p: mqttPacket.Packet) => (p.cmd === 'connack' && p.returnCode === 0 ? resolve() : reject(new Error(`no CONNACK for ${clientId}`))));
  });
  await link.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive }));
  await connack;
  return { link, parser, stopParsing: () => (isParsing = false) };
}

export interface Flood {
  /** begins writing; connect every flood first, since running ones starve new connections */
  start(): void;
  /** packets written so far */
  sent(): number;
  /** PUBACKs received so far (QoS 1) */
  acked(): number;
  /** publishers whose connection has closed */
  lost(): number;
  /** no more writes after the current ones; connections stay open (PUBACKs still arrive) */
  halt(): void;
  stop(): Promise<void>;
}

/** Connects `publishers` connections that, once started, write QoS 0 PUBLISH packets flat out until stop(). */
export async function connectFlood(
  target: FloodTarget,
  /** maxUnacked: QoS 1 packets a connection may have written and not seen acknowledged, as a client's own window (default 1024) */
  options: { publishers: number; topic: string; payloadBytes: number; qos?: 0 | 1; maxUnacked?: number; packetsPerWrite?: number; clientPrefix?: string },
): Promise<Flood> {
  const perWrite = options.packetsPerWrite ?? 64;
  const maxUnacked = options.maxUnacked ?? 1024;
  const qos = options.qos ?? 0;
  const payload = Buffer.alloc(options.payloadBytes, 0x61);
  const encode = (messageId: number) => mqttPacket.generate({ cmd: 'publish', topic: options.topic, payload, qos, messageId, retain: false, dup: false });
  const bursts =
    qos === 0
      ? [Buffer.concat(Array.from({ length: perWrite }, () => encode(0)))]
      : Array.from({ length: Math.floor(65535 / perWrite) }, (_, b) => Buffer.concat(Array.from({ length: perWrite }, (_, i) => encode(b * perWrite + i + 1))));
  let sent = 0;
  let lost = 0;
  let ackBytes = 0;
  let running = true;
  const links = await Promise.all(Array.from({ length: options.publishers }, (_, i) => mqttSession(target, `${options.clientPrefix ?? 'flood'}-${i}`, 0)));
  // per connection: PUBACK bytes seen, and a waiter for the next ones when its window is full
  const linkAckBytes = links.map(() => 0);
  const ackWaiters: Array<(() => void) | null> = links.map(() => null);
  links.forEach(({ link, stopParsing }, n) => {
    stopParsing();
    link.onData((bytes) => {
      ackBytes += bytes.length;
      linkAckBytes[n]! += bytes.length;
      const wake = ackWaiters[n];
      ackWaiters[n] = null;
      wake?.();
    });
    void link.closed.then(() => ackWaiters[n]?.());
  });
  let loops: Array<Promise<void>> = [];
  const run = () => links.map(async ({ link }, n) => {
    let open = true;
    void link.closed.then(() => {
      if (running) lost++;
      open = false;
    });
    let written = 0;
    while (running && open) {
      if (qos === 1) while (running && open && written * perWrite - linkAckBytes[n]! / 4 >= maxUnacked) await new Promise<void>((resolve) => (ackWaiters[n] = resolve));
      await link.write(bursts[written % bursts.length]!);
      sent += perWrite;
      // a write the kernel takes at once resolves as a microtask: yield so timers and I/O run
      if (++written % 4 === 0) await new Promise((r) => setImmediate(r));
    }
  });
  return {
    start() {
      if (loops.length === 0) loops = run();
    },
    sent: () => sent,
    acked: () => Math.floor(ackBytes / 4),
    halt: () => void (running = false),
    lost: () => lost,
    async stop() {
      running = false;
      // closing first: a write waiting for 'drain' resolves on 'close'
      for (const { link } of links) link.close();
      await Promise.all(loops);
    },
  };
}

export interface CountingSubscriber {
  received(): number;
  closed(): boolean;
  close(): void;
}

/** A raw subscriber that counts PUBLISH packets without decoding payloads. */
export async function startCountingSubscriber(target: FloodTarget, filter: string, clientId = 'counter'): Promise<CountingSubscriber> {
  const { link, parser } = await mqttSession(target, clientId);
  let received = 0;
  let closed = false;
  void link.closed.then(() => (closed = true));
  const suback = new Promise<void>((resolve) => parser.on('packet', (p: mqttPacket.Packet) => (p.cmd === 'publish' ? received++ : p.cmd === 'suback' && resolve())));
  await link.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 0 }] }));
  await suback;
  return { received: () => received, closed: () => closed, close: () => link.close() };
}
