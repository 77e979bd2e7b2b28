// The only module that imports aedes. Aedes' callback hooks are adapted here, once, to the
// async BrokerHooks; everything else in telemq sees ClientRef, PublishedMessage and typed events.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import type { Logger } from '../logger.ts';
import type { BrokerHooks, ClientRef, ConnectionContext, PublishedMessage } from './types.ts';

export interface MqttBrokerOptions {
  id?: string;
  hooks: BrokerHooks;
  log: Logger;
  /** upper bound on the keepalive a client may ask for, in seconds */
  keepaliveLimitSec: number;
  /** aedes persistence and mqemitter (Redis when clustered); default in memory */
  persistence?: unknown;
  mq?: unknown;
  /** called once per connection after aedes attached to it (packet-size guard) */
  guardConnection?: (stream: Duplex, context: ConnectionContext) => void;
}

export interface MqttBrokerEvents {
  /** a PUBLISH from a client on this node was accepted (never $SYS, never wills of other nodes) */
  clientPublish: [message: PublishedMessage, client: ClientRef];
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
  close(): Promise<void>;
}

const contexts = new WeakMap<object, ConnectionContext>();

/** PUBLISH packets a hook denied: acknowledged as usual (MQTT 3.1.1 has no negative PUBACK) but never routed. */
const droppedPublishes = new WeakSet<object>();

function refOf(client: Client): ClientRef {
  return { id: client.id, context: contexts.get(client.conn) ?? { transport: 'tcp', remoteAddress: 'unknown' } };
}

export async function createMqttBroker(options: MqttBrokerOptions): Promise<MqttBroker> {
  const { hooks, log } = options;
  const events = new EventEmitter<MqttBrokerEvents>();

  const aedes = await Aedes.createBroker({
    ...(options.id ? { id: options.id } : {}),
    ...(options.persistence ? { persistence: options.persistence } : {}),
    ...(options.mq ? { mq: options.mq } : {}),
    keepaliveLimit: options.keepaliveLimitSec,
    maxClientsIdLength: 65535,
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
      const message = toMessage(packet);
      hooks.authorizePublish(refOf(client), message).then(
        (decision) => {
          if (decision === 'allow') return done(null);
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
        (allowed) => done(null, allowed ? subscription : null),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    },
    authorizeForward(client, packet) {
      return hooks.authorizeForward(refOf(client), packet.topic) ? packet : null;
    },
  });

  // A denied publish stays off the routing path (no subscriber, no 'publish' event) and the client
  // stays connected; aedes itself only knows allow or disconnect.
  const routePublish = aedes.publish.bind(aedes);
  aedes.publish = ((packet: AedesPublishPacket, ...rest: unknown[]) => {
    if (!droppedPublishes.has(packet)) return (routePublish as (...args: unknown[]) => void)(packet, ...rest);
    const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    done?.();
  }) as typeof aedes.publish;

  aedes.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    if (!client) return;
    events.emit('clientPublish', toMessage(packet), refOf(client));
  });
  aedes.on('clientReady', (client: Client) => events.emit('clientConnected', refOf(client)));
  aedes.on('clientDisconnect', (client: Client) => events.emit('clientDisconnected', refOf(client)));
  aedes.on('clientError', (client: Client, err: Error) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
  aedes.on('connectionError', (_client: Client, err: Error) => log.debug({ err: err.message }, 'connection error'));

  return {
    id: aedes.id,
    events,
    handle(stream, context) {
      contexts.set(stream, context);
      aedes.handle(stream);
      options.guardConnection?.(stream, context);
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
    close() {
      return new Promise((resolve) => aedes.close(() => resolve()));
    },
  };
}

function toMessage(packet: { topic: string; payload: string | Buffer; qos: 0 | 1 | 2; retain: boolean }): PublishedMessage {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  return { topic: packet.topic, payload, qos: packet.qos, retain: packet.retain };
}
