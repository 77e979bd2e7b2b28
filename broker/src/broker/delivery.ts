// Delivery to one subscriber, installed on each aedes client as it is created.
//
// aedes 1.2 delivers QoS 0 with a setImmediate and a fresh packet per message per subscriber, and
// holds the publisher's callback until a full socket drains, so one slow subscriber stalls every
// publisher while the rest piles up in memory. Here QoS 0 is written at once as one buffer (one
// write, which the WebSocket stream coalesces into frames) and dropped, counted, when the
// subscriber already has guards.maxClientQueueBytes waiting; QoS 1 keeps aedes' path (persistence,
// retries) but a subscriber with guards.maxClientInflight unacknowledged messages is disconnected.
import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import type { Logger } from '../logger.ts';
import type { BrokerStats } from './stats.ts';

export interface DeliveryLimits {
  maxClientQueueBytes: number;
  maxClientInflight: number;
}

/** A routed PUBLISH as mqemitter hands it to a subscription. */
export interface RoutedPacket {
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1 | 2;
  retain: boolean;
  brokerId?: string;
  brokerCounter?: number;
}

type Deliver = (packet: RoutedPacket, cb: () => void) => void;

/** The parts of an aedes client delivery uses (aedes does not type them). */
export interface DeliveringClient {
  id: string;
  conn: Duplex;
  connected: boolean;
  connecting: boolean;
  duplicates: Record<string, number>;
  broker: { authorizeForward(client: unknown, packet: RoutedPacket): RoutedPacket | null | undefined };
  deliver0: Deliver;
  deliverQoS: Deliver;
}

export interface Delivery {
  install(client: DeliveringClient): void;
  /** a PUBACK/PUBCOMP from this client */
  acknowledged(client: object): void;
}

export function createDelivery(limits: DeliveryLimits, stats: BrokerStats, log: Logger): Delivery {
  const inflight = new WeakMap<object, number>();
  // Fan-out calls deliver0 for every subscriber of one message in a row: encode once per message.
  let lastPacket: RoutedPacket | null = null;
  let lastRetain = false;
  let lastBytes: Buffer = Buffer.alloc(0);

  function encode(packet: RoutedPacket): Buffer {
    if (packet !== lastPacket || packet.retain !== lastRetain) {
      lastBytes = mqttPacket.generate({ cmd: 'publish', topic: packet.topic, payload: packet.payload, qos: 0, retain: packet.retain, dup: false });
      lastPacket = packet;
      lastRetain = packet.retain;
    }
    return lastBytes;
  }

  function install(client: DeliveringClient): void {
    const conn = client.conn;
    client.deliver0 = function deliver0(packet, cb) {
      if (!isFresh(client, packet)) return cb();
      const toForward = client.broker.authorizeForward(client, packet);
      if (!toForward || !(client.connected || client.connecting) || conn.destroyed) return cb();
      if (conn.writableLength >= limits.maxClientQueueBytes) {
        stats.drop('slow-consumer-qos0');
        return cb();
      }
      const bytes = encode(toForward);
      conn.write(bytes);
      stats.messagesSent++;
      stats.payloadBytesSent += toForward.payload.length;
      cb();
    };

    const aedesDeliverQoS = client.deliverQoS;
    client.deliverQoS = function deliverQoS(packet, cb) {
      if (packet.qos === 0) return client.deliver0(packet, cb);
      const count = inflight.get(client) ?? 0;
      if (count >= limits.maxClientInflight) {
        if (!conn.destroyed) {
          stats.drop('slow-consumer-disconnect');
          log.warn({ clientId: client.id, inflight: count }, 'slow consumer disconnected');
          conn.destroy();
        }
        return cb();
      }
      inflight.set(client, count + 1);
      stats.messagesSent++;
      stats.payloadBytesSent += packet.payload.length;
      aedesDeliverQoS(packet, cb);
    };
  }

  return {
    install,
    acknowledged(client) {
      const count = inflight.get(client);
      if (count) inflight.set(client, count - 1);
    },
  };
}

/** A message already seen from this broker (cluster birth resets) is not delivered twice; as aedes' own dedupe. */
function isFresh(client: DeliveringClient, packet: RoutedPacket): boolean {
  const id = packet.brokerId;
  if (!id) return true;
  const counter = packet.brokerCounter ?? 0;
  if ((client.duplicates[id] ?? 0) >= counter) return false;
  client.duplicates[id] = counter;
  return true;
}
