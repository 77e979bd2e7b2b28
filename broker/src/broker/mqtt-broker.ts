// The only module that imports aedes. Aedes' callback hooks are adapted here, once, to the
// async BrokerHooks; everything else in telemq sees ClientRef, PublishedMessage and typed events.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import type { Logger } from '../logger.ts';
import { assertAedesFits, clientsOf, interceptPublishes, internalsOf, persistenceOf, releaseClientsClosedWhileConnecting, replaceDelivery, retainedMessages } from './aedes/internals.ts';
import { gateReads, whenPacketsHandled } from './aedes/read-gate.ts';
import { PendingAcknowledge } from './acknowledge-hold.ts';
import { createClientBounds, type ClientBoundsOptions } from './client-bounds.ts';
import { guardPackets, reportSessionPresent, screenConnect, storeOnlyGranted, writeConnackRefusal } from './conformance.ts';
import { createMemoryPersistence, createRetainedIndex, type RetainedIndex } from './retained-index.ts';
import { createMemorySessionRegistry, type SessionRegistry } from './session-registry.ts';
import type { BrokerStats } from './stats.ts';
import { createSubscriberFlow, type SubscriberFlowLimits } from './subscriber-flow.ts';
import { ConnackCode, type AcknowledgeHold, type BrokerHooks, type ClientRef, type ConnectionContext, type ProtocolViolation, type PublishedMessage } from './types.ts';

export interface MqttBrokerOptions {
  id?: string;
  hooks: BrokerHooks;
  log: Logger;
  /** upper bound on the keepalive a client may ask for, in seconds; 0 (no keepalive) is raised to it too */
  keepaliveLimitSec: number;
  /** counters the routing path bumps; metrics and $SYS read them */
  stats: BrokerStats;
  /** per-subscriber send window, queue bounds and stall timeout */
  limits: SubscriberFlowLimits;
  /** a connection that sends no CONNECT within this is closed */
  connectTimeoutMs?: number;
  /** aedes persistence and mqemitter (Redis when clustered); default in memory */
  persistence?: unknown;
  mq?: unknown;
  /** the persistence's retained messages when held in this process; with no persistence, a new one */
  retained?: RetainedIndex;
  /** stored sessions for Session Present; default: those begun since this process started */
  sessions?: SessionRegistry;
  /** per-client bounds on subscriptions and retained topics, and where their refusals are counted */
  bounds?: ClientBoundsOptions;
  /**
   * QoS >= 1 client publishes come with an AcknowledgeHold on 'clientPublish', and their PUBACK
   * (PUBREC) waits for it: acknowledged = stored. Default false: no hold is offered. A QoS 1 PUBACK
   * waits for routing either way, which includes committing the message to offline sessions' queues.
   */
  holdAcknowledgements?: boolean;
  /** called once per connection after aedes attached to it (packet-size guard) */
  guardConnection?: (stream: Duplex, context: ConnectionContext) => void;
  /** a connection closed for a protocol violation (malformed string, invalid topic), to count it */
  onProtocolViolation?: (context: ConnectionContext, violation: ProtocolViolation) => void;
}

export interface MqttBrokerEvents {
  /** a PUBLISH from a client on this node was accepted (never $SYS, never wills of other nodes); hold: see holdAcknowledgements */
  clientPublish: [message: PublishedMessage, client: ClientRef, hold: AcknowledgeHold | null];
  clientConnected: [client: ClientRef];
  clientDisconnected: [client: ClientRef];
}

export interface MqttBroker {
  readonly id: string;
  readonly events: EventEmitter<MqttBrokerEvents>;
  /** attach one connection; the context is what the transport learned before CONNECT */
  handle(stream: Duplex, context: ConnectionContext): void;
  connectedClients(): number;
  /** publish from the broker itself ($SYS, dead letters) */
  publish(message: PublishedMessage): Promise<void>;
  /** an in-process subscriber (SSE, long polling); resolves to its unsubscribe */
  subscribe(filter: string, onMessage: (message: PublishedMessage) => void): Promise<() => Promise<void>>;
  /** the retained messages whose topics match `filter` (what a new subscriber to it gets first) */
  retained(filter: string): AsyncIterable<PublishedMessage>;
  /** ends every client connection (queued writes are flushed first); resolves when all closed or after timeoutMs */
  disconnectClients(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

const contexts = new WeakMap<object, ConnectionContext>();

/** PUBLISH packets a hook denied: acknowledged as usual (MQTT 3.1.1 has no negative PUBACK) but never routed. */
const droppedPublishes = new WeakSet<object>();

/**
 * Held acknowledgements by PUBLISH packet. aedes 1.2 writes a QoS 1 PUBACK before it routes the
 * packet, and so before the message is in the queues of offline persistent sessions: a kill -9 then
 * would lose a message its publisher saw acknowledged. So every QoS 1 publish is routed from
 * authorizePublish, its PUBACK waiting for the routing, and aedes' own publish of it, after the
 * PUBACK, does nothing (`routedEarly`). A QoS 2 publish is routed (once, after aedes stored it)
 * before its PUBREC, so its hold sits in the publish callback.
 */
const holds = new WeakMap<object, PendingAcknowledge>();
const routedEarly = new WeakSet<object>();

function refOf(client: Client): ClientRef {
  return { id: client.id, context: contexts.get(client.conn) ?? { transport: 'tcp', remoteAddress: 'unknown' } };
}

export async function createMqttBroker(options: MqttBrokerOptions): Promise<MqttBroker> {
  const { hooks, log, stats } = options;
  const events = new EventEmitter<MqttBrokerEvents>();
  const flow = createSubscriberFlow(options.limits, stats, log);
  const connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
  // Client ids with a stored session, for Session Present [MQTT-3.2.2-2]. In a cluster a session
  // begun on another node is reported by aedes' own rule (present when it has subscriptions).
  const sessions = options.sessions ?? createMemorySessionRegistry();
  const retained = options.persistence ? (options.retained ?? null) : (options.retained ?? createRetainedIndex());
  const bounds = createClientBounds(options.bounds, retained);

  const aedes = await Aedes.createBroker({
    ...(options.id ? { id: options.id } : {}),
    // the default memory persistence, with retained messages in a topic tree (retained-index.ts)
    persistence: options.persistence ?? createMemoryPersistence(retained ?? undefined),
    ...(options.mq ? { mq: options.mq } : {}),
    // No mqemitter queue: with a concurrency bound, mqemitter queues emits past it without limit
    // and drains that queue recursively (RangeError under load). Delivery never waits for QoS 0
    // and each publisher has at most one read batch in flight (aedes reads its socket again only
    // when the batch is handled), so emits in flight are bounded by the connections, not a queue.
    concurrency: 0,
    connectTimeout: connectTimeoutMs,
    // keepaliveLimit is enforced in preConnect: aedes would answer CONNACK 6, which 3.1.1 lacks.
    maxClientsIdLength: 65535,
    preConnect(client, packet, done) {
      // [MQTT-3.1.3-8]: a zero-byte client id with CleanSession 0 gets CONNACK 0x02, then the close.
      if (packet.clientId === '' && !packet.clean) {
        return writeConnackRefusal(client.conn as Duplex, ConnackCode.identifierRejected, () => done(new Error('identifier rejected'), false));
      }
      // [MQTT-3.1.2-24] is kept with the client's own keepalive, bounded by keepaliveLimitSec.
      const limit = options.keepaliveLimitSec;
      if (!packet.keepalive || packet.keepalive > limit) packet.keepalive = limit;
      if (!packet.clean && sessions.has(packet.clientId)) reportSessionPresent(client.conn as Duplex);
      done(null, true);
    },
    authenticate(client, username, password, done) {
      const ref = refOf(client);
      hooks.authenticate(ref, username ?? undefined, password ?? undefined).then(
        (result) => {
          if (result.ok) {
            ref.context.identity = result.identity;
            done(null, true);
          } else {
            const err = Object.assign(new Error(result.reason), { returnCode: result.returnCode });
            done(err, null);
          }
        },
        (err: unknown) => {
          log.error({ err, clientId: client.id }, 'authenticate hook failed');
          done(Object.assign(new Error('server unavailable'), { returnCode: 3 }), null);
        },
      );
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null);
      // $SYS is the broker's own [MQTT-4.7.2-1]; aedes' default hook refused it, ours must too.
      if (packet.topic.startsWith('$SYS/')) {
        stats.drop('sys-topic');
        droppedPublishes.add(packet);
        return done(null);
      }
      const message = toMessage(packet);
      hooks.authorizePublish(refOf(client), message).then(
        (decision) => {
          if (decision === 'allow' && !bounds.admitRetained(refOf(client), packet)) decision = 'deny';
          if (decision === 'allow') {
            stats.messagesReceived++;
            stats.payloadBytesReceived += message.payload.length;
            if (packet.qos === 1) return routeHeld(packet as AedesPublishPacket, client, done);
            return done(null);
          }
          stats.drop('not-authorized');
          if (decision === 'deny') {
            droppedPublishes.add(packet);
            return done(null);
          }
          done(new Error('publish not authorized'));
        },
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    },
    authorizeSubscribe(client, subscription, done) {
      hooks.authorizeSubscribe(refOf(client), subscription.topic).then(
        (allowed) => done(null, allowed && bounds.admitSubscription(refOf(client), subscription) ? subscription : null),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    },
    authorizeForward(client, packet) {
      return hooks.authorizeForward(refOf(client), packet.topic) ? packet : null;
    },
  });

  try {
    assertAedesFits(aedes);
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }

  storeOnlyGranted(persistenceOf(aedes), bounds.granted);
  releaseClientsClosedWhileConnecting(aedes);

  // A denied publish stays off the routing path (no subscriber, no 'publish' event) and the client
  // stays connected; aedes itself only knows allow or disconnect.
  const routePublish = interceptPublishes(aedes, (packet, client, done, route) => {
    if (droppedPublishes.has(packet) || routedEarly.has(packet)) return done();
    if (options.holdAcknowledgements && packet.qos === 2 && client) return routeHeld(packet, client, done);
    route(packet, client, done);
  });

  /** Routes now; `done` (the acknowledgement) runs once the consumers released their holds. */
  function routeHeld(packet: AedesPublishPacket, client: Client, done: (err?: Error | null) => void): void {
    const hold = new PendingAcknowledge(done);
    holds.set(packet, hold);
    if (packet.qos === 1) routedEarly.add(packet);
    // success is signalled by the 'publish' event below, which aedes emits once routing is done
    routePublish(packet, client, (err?: Error | null) => err && hold.failed(err));
  }

  aedes.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    if (!client) return;
    const hold = holds.get(packet) ?? null;
    events.emit('clientPublish', toMessage(packet), refOf(client), options.holdAcknowledgements ? hold : null);
    hold?.routed();
  });
  aedes.on('ack', (_packet: unknown, client: Client) => flow.acknowledged(client.conn));
  aedes.on('clientReady', (client: Client) => {
    sessions.connected(client.id, client.clean);
    events.emit('clientConnected', refOf(client));
  });
  aedes.on('clientDisconnect', (client: Client) => {
    sessions.disconnected(client.id, client.clean);
    events.emit('clientDisconnected', refOf(client));
  });
  aedes.on('unsubscribe', (filters: string[], client: Client) => bounds.unsubscribed(refOf(client), filters));
  aedes.on('clientError', (client: Client, err: Error) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
  aedes.on('connectionError', (_client: Client, err: Error) => log.debug({ err: err.message }, 'connection error'));

  return {
    id: aedes.id,
    events,
    handle(stream, context) {
      contexts.set(stream, context);
      screenConnect(
        stream,
        connectTimeoutMs,
        () => {
          if (stream.destroyed) return;
          const client = aedes.handle(stream);
          replaceDelivery(client, flow.deliveryOf);
          gateReads(internalsOf(client));
          guardPackets(internalsOf(client), (violation) => {
            log.debug({ clientId: client.id, ...violation }, 'protocol violation, connection closed');
            options.onProtocolViolation?.(context, violation);
          });
          options.guardConnection?.(stream, context);
        },
        () => log.debug({ transport: context.transport }, 'unsupported protocol level refused'),
      );
    },
    connectedClients: () => aedes.connectedClients,
    publish(message) {
      return new Promise((resolve, reject) => {
        aedes.publish({ cmd: 'publish', dup: false, ...message }, (err?: Error | null) => (err ? reject(err) : resolve()));
      });
    },
    async subscribe(filter, onMessage) {
      const listener = (packet: AedesPublishPacket, cb: () => void) => {
        onMessage(toMessage(packet));
        cb();
      };
      await new Promise<void>((resolve, reject) => aedes.subscribe(filter, listener, (err?: Error) => (err ? reject(err) : resolve())));
      return () => new Promise<void>((resolve) => aedes.unsubscribe(filter, listener, () => resolve()));
    },
    async *retained(filter) {
      for await (const packet of retainedMessages(aedes, filter)) yield toMessage({ qos: 0, ...packet, retain: true });
    },
    async disconnectClients(timeoutMs) {
      const clients = clientsOf(aedes);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      // Publishes already read (and perhaps acknowledged) finish routing first.
      await Promise.race([Promise.all(clients.map(whenPacketsHandled)), timeout]);
      const conns = clients.map((client) => client.conn);
      const closed = conns.map((conn) => (conn.destroyed ? Promise.resolve() : new Promise<void>((resolve) => conn.once('close', () => resolve()))));
      for (const conn of conns) conn.end();
      await Promise.race([Promise.all(closed), timeout]);
      clearTimeout(timer);
    },
    close() {
      flow.close();
      return new Promise((resolve) => aedes.close(() => resolve()));
    },
  };
}

function toMessage(packet: { topic: string; payload: string | Buffer; qos: 0 | 1 | 2; retain: boolean }): PublishedMessage {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  return { topic: packet.topic, payload, qos: packet.qos, retain: packet.retain };
}
