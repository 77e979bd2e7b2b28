// Every use of aedes' private state, in this folder: this module and read-gate.ts.
//
// telemq reaches into aedes where its public API has no hook: to keep a denied publish off the
// routing path, to know when a client's packets have been handled, to check packets before aedes
// handles them, to pace reading a client's socket, and to replace how a client delivers. aedes is
// pinned to exactly AEDES_VERSION (broker/package.json), and checkAedesInternals() looks at each
// internal below on a real client at start-up, so an aedes that moved one refuses to start with a
// message naming it instead of misbehaving under load. A second engine (MQTT 5 on aedes 2) plugs in here.
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Duplex } from 'node:stream';
import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import type mqttPacket from 'mqtt-packet';
import { AppError } from '../../errors.ts';

export const AEDES_VERSION = '1.2.0';

type PacketListener = (packet: mqttPacket.Packet) => void;

/**
 * aedes' per-client parser (an mqtt-packet 9 Parser); its 'packet' listener hands packets to aedes.
 * Its string reader and read position are mqtt-packet's private state, read by watchMalformedStrings.
 */
export interface ClientParser {
  listeners(event: 'packet'): PacketListener[];
  removeAllListeners(event: 'packet'): void;
  on(event: 'packet', fn: PacketListener): void;
  _pos: number;
  _list: { slice(start: number, end: number): Buffer };
  _parseString(this: Pick<ClientParser, '_pos' | '_list' | '_parseString'>, maybeBuffer?: boolean): string | null;
}

/** A routed PUBLISH as mqemitter hands it to a client's delivery (an aedes Packet). */
export interface RoutedPacket {
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup?: boolean;
  messageId?: number;
  brokerId?: string | null;
  brokerCounter?: number;
  /** the publisher, for messages from a client */
  clientId?: string;
}

export type Deliver = (packet: RoutedPacket, cb: () => void) => void;

/** The fields of an aedes Client that telemq reads or replaces; aedes does not type them. */
export interface ClientInternals {
  id: string;
  conn: Duplex;
  closed: boolean;
  clean: boolean;
  connected: boolean;
  connecting: boolean;
  /** the highest broker counter delivered per broker id: aedes' duplicate check across brokers */
  duplicates: Record<string, number>;
  /** granted QoS per filter */
  subscriptions: Record<string, { qos: number }>;
  /** the next packet identifier for this client (aedes' resends on reconnect take from it too) */
  _nextId: number;
  /** packets read from the socket whose handling has not finished; aedes reads again at 0 */
  _parsingBatch: number;
  /** aedes' countdown: one packet handled; reads the socket when none is left. Also its 'readable' listener. */
  _nextBatch: (err?: Error) => void;
  _parser: ClientParser;
  broker: {
    authorizeForward(client: unknown, packet: RoutedPacket): RoutedPacket | null | undefined;
    persistence: { outgoingUpdate(client: unknown, packet: RoutedPacket): Promise<unknown> };
  };
  deliver0: Deliver;
  deliverQoS: Deliver;
}

/** The installed aedes' version, from its package.json (aedes' exports do not include that file). */
export function installedAedesVersion(): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve('aedes'));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (manifest.name === 'aedes') return manifest.version;
    } catch {
      // not here; look one level up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

export function internalsOf(client: Client): ClientInternals {
  return client as unknown as ClientInternals;
}

/** The clients aedes holds, connected or still connecting. */
export function clientsOf(aedes: Aedes): ClientInternals[] {
  return Object.values((aedes as unknown as { clients: Record<string, ClientInternals> }).clients);
}

/** Routes a publish as aedes does: to subscribers, retained store, 'publish' listeners. */
export type PublishRoute = (packet: AedesPublishPacket, client: Client | null, done: (err?: Error | null) => void) => void;

/**
 * Puts `intercept` in aedes' place for every publish it routes: a client's (for QoS 1 after its
 * PUBACK is written, for QoS 2 before its PUBREC), a will, or the broker's own (client null). It gets
 * aedes' callback and `route`, aedes' own routing, which is also returned for routing a packet from
 * elsewhere. aedes' public API has no such hook: it only knows allow or disconnect.
 */
export function interceptPublishes(aedes: Aedes, intercept: (packet: AedesPublishPacket, client: Client | null, done: (err?: Error | null) => void, route: PublishRoute) => void): PublishRoute {
  const publish = aedes.publish.bind(aedes) as unknown as (packet: AedesPublishPacket, client: Client | null, done: (err?: Error | null) => void) => void;
  const route: PublishRoute = (packet, client, done) => publish(packet, client, done);
  aedes.publish = ((packet: AedesPublishPacket, ...rest: unknown[]) => {
    const done = (rest.find((arg) => typeof arg === 'function') as ((err?: Error | null) => void) | undefined) ?? (() => {});
    const client = rest[0] && typeof rest[0] !== 'function' ? (rest[0] as Client) : null;
    intercept(packet, client, done, route);
  }) as typeof aedes.publish;
  return route;
}

/**
 * Puts `check` in front of aedes' packet handler on one client: a packet it returns false for never
 * reaches aedes.
 */
export function screenPackets(client: ClientInternals, check: (packet: mqttPacket.Packet) => boolean): void {
  const parser = client._parser;
  const handlers = parser.listeners('packet');
  parser.removeAllListeners('packet');
  parser.on('packet', function screened(this: unknown, packet: mqttPacket.Packet) {
    if (!check(packet)) return;
    for (const handler of handlers) handler.call(this, packet);
  });
}

/**
 * Makes one client's parser remember a malformed UTF-8 string [MQTT-1.5.3-1]; `malformed()` says
 * whether one was read so far. mqtt-packet decodes strings with Buffer#toString('utf8'), which turns
 * malformed UTF-8 into U+FFFD silently, so the raw bytes are only at hand inside its string reader.
 * Its cost is one search for U+FFFD in each decoded string; the bytes are validated only when that
 * character is there.
 */
export function watchMalformedStrings(client: Pick<ClientInternals, '_parser'>): { malformed(): boolean } {
  const parser = client._parser;
  let seen = false;
  const parseString = parser._parseString;
  parser._parseString = function checkedParseString(maybeBuffer) {
    const start = this._pos + 2; // after the two length bytes
    const result = parseString.call(this, maybeBuffer);
    if (result !== null && result.indexOf('\uFFFD') !== -1 && !isUtf8(this._list.slice(start, this._pos))) seen = true;
    return result;
  };
  return { malformed: () => seen };
}

interface RetainedRecord {
  topic: string;
  payload: string | Buffer;
  qos?: 0 | 1 | 2;
}

/** The persistence aedes was given (memory, SQLite or Redis), as far as telemq calls it. */
export interface PersistenceInternals {
  createRetainedStream(filter: string): AsyncIterable<RetainedRecord> | Iterable<RetainedRecord>;
  addSubscriptions(client: unknown, subs: object[]): Promise<unknown>;
}

export function persistenceOf(aedes: Aedes): PersistenceInternals {
  return (aedes as unknown as { persistence: PersistenceInternals }).persistence;
}

/** The retained messages matching a filter, from aedes' persistence (every persistence has this stream). */
export function retainedMessages(aedes: Aedes, filter: string): AsyncIterable<RetainedRecord> | Iterable<RetainedRecord> {
  return persistenceOf(aedes).createRetainedStream(filter);
}

/**
 * A connection closed while its CONNECT was still being handled (awaiting the persistence, for
 * example) is closed before aedes registers its client, so aedes' close does not unregister it and
 * registration then keeps a closed client for good (a leak, and a wrong connected count). Such a
 * client is unregistered as soon as aedes registers it.
 */
export function releaseClientsClosedWhileConnecting(aedes: Aedes): void {
  const registry = aedes as unknown as { unregisterClient(client: Client): void };
  aedes.on('client', (client: Client) => {
    if (internalsOf(client).closed) registry.unregisterClient(client);
  });
}

/** What replacing a client's delivery reads from aedes, without its private names. */
export interface DeliveringClient {
  readonly id: string;
  readonly conn: Duplex;
  readonly clean: boolean;
  readonly connected: boolean;
  readonly connecting: boolean;
  readonly duplicates: Record<string, number>;
  readonly subscriptions: Record<string, { qos: number }>;
  /** aedes' authorizeForward hook: the packet to send, or nothing to send */
  authorizeForward(packet: RoutedPacket): RoutedPacket | null | undefined;
  /** takes the client's next packet identifier (1…65535) */
  takePacketId(): number;
  /** records an outgoing QoS >= 1 packet in the session's persistence, as aedes does before writing it */
  recordOutgoing(packet: RoutedPacket): Promise<unknown>;
}

export interface Delivery {
  /** sends a QoS 0 message; cb once it may be routed further */
  deliver0: Deliver;
  /** sends a QoS 1 or 2 message; cb holds the publisher's routing until called */
  deliverQoS: Deliver;
}

/** Puts `make`'s delivery in the place of aedes' own on one client. */
export function replaceDelivery(client: Client, make: (client: DeliveringClient) => Delivery): void {
  const c = internalsOf(client);
  // read when used: CONNECT sets id and clean after the delivery is replaced
  const delivering: DeliveringClient = {
    get id() {
      return c.id;
    },
    conn: c.conn,
    get clean() {
      return c.clean;
    },
    get connected() {
      return c.connected;
    },
    get connecting() {
      return c.connecting;
    },
    get duplicates() {
      return c.duplicates;
    },
    get subscriptions() {
      return c.subscriptions;
    },
    authorizeForward: (packet) => c.broker.authorizeForward(client, packet),
    takePacketId() {
      const id = c._nextId;
      c._nextId = id >= 65535 ? 1 : id + 1;
      return id;
    },
    recordOutgoing: (packet) => c.broker.persistence.outgoingUpdate(client, packet),
  };
  const { deliver0, deliverQoS } = make(delivering);
  c.deliver0 = deliver0;
  c.deliverQoS = deliverQoS;
}

/**
 * Checks the installed aedes against what this module relies on, on a real client attached to an
 * idle stream; returns the problems found (empty: all is as expected).
 */
export function checkAedesInternals(aedes: Aedes): string[] {
  const problems: string[] = [];
  const version = installedAedesVersion();
  if (version !== AEDES_VERSION) problems.push(`aedes ${version} is installed; telemq is built against ${AEDES_VERSION} exactly`);
  if (typeof aedes.publish !== 'function') problems.push('Aedes#publish is not a function');
  const clients = (aedes as unknown as { clients?: unknown }).clients;
  if (typeof clients !== 'object' || clients === null) problems.push('Aedes#clients is not an object');
  if (typeof (aedes as unknown as { unregisterClient?: unknown }).unregisterClient !== 'function') problems.push('Aedes#unregisterClient is not a function');
  const persistence = (aedes as unknown as { persistence?: Partial<Record<keyof PersistenceInternals, unknown>> }).persistence;
  for (const name of ['createRetainedStream', 'addSubscriptions'] as const) {
    if (typeof persistence?.[name] !== 'function') problems.push(`Aedes#persistence.${name} is not a function`);
  }

  const stream = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
  const client = aedes.handle(stream) as unknown as Partial<Record<keyof ClientInternals, unknown>> & Record<string, unknown>;
  try {
    if (client.conn !== stream) problems.push('Client#conn is not the handled stream');
    if (typeof client.closed !== 'boolean') problems.push('Client#closed is not a boolean');
    if (typeof client._parsingBatch !== 'number') problems.push('Client#_parsingBatch is not a number');
    if (typeof client._nextId !== 'number') problems.push('Client#_nextId is not a number');
    for (const name of ['clean', 'connected', 'connecting'] as const) {
      if (typeof client[name] !== 'boolean') problems.push(`Client#${name} is not a boolean`);
    }
    if (typeof client._nextBatch !== 'function' || !stream.listeners('readable').includes(client._nextBatch as () => void)) {
      problems.push("Client#_nextBatch is not the stream's 'readable' listener");
    }
    const broker = client.broker as Partial<ClientInternals['broker']> | undefined;
    if (typeof broker?.authorizeForward !== 'function') problems.push('Client#broker.authorizeForward is not a function');
    if (typeof broker?.persistence?.outgoingUpdate !== 'function') problems.push('Client#broker.persistence.outgoingUpdate is not a function');
    const parser = client._parser as Partial<ClientParser> | undefined;
    if (typeof parser?.listeners !== 'function' || typeof parser.on !== 'function' || typeof parser.removeAllListeners !== 'function') {
      problems.push('Client#_parser is not an event emitter');
    } else if (parser.listeners('packet').length !== 1) {
      problems.push(`Client#_parser has ${parser.listeners('packet').length} 'packet' listeners, expected 1`);
    }
    // _pos and _list are the reader's state, set once bytes arrive
    if (typeof parser?._parseString !== 'function') problems.push('Client#_parser has no string reader (_parseString)');
    for (const name of ['deliver0', 'deliverQoS'] as const) {
      if (typeof client[name] !== 'function' || (client[name] as () => void).length !== 2) problems.push(`Client#${name}(packet, cb) is missing`);
    }
    for (const name of ['duplicates', 'subscriptions'] as const) {
      if (typeof client[name] !== 'object' || client[name] === null) problems.push(`Client#${name} is not an object`);
    }
  } finally {
    stream.destroy();
  }
  return problems;
}

/** Throws AEDES_UNSUPPORTED, naming every internal that moved, unless the installed aedes fits. */
export function assertAedesFits(aedes: Aedes): void {
  const problems = checkAedesInternals(aedes);
  if (problems.length > 0) throw new AppError('AEDES_UNSUPPORTED', `the installed aedes does not fit telemq: ${problems.join('; ')}`);
}
