// What one subscriber is sent, and how fast: installed on each aedes client as it is created.
//
// QoS 0 is written at once as one buffer (encoded once per message for the whole fan-out) and
// dropped, counted, when the subscriber already has guards.maxClientQueueBytes waiting.
//
// QoS 1 and 2 are flow controlled, never dropped. A subscriber has a send window of
// guards.maxClientInflight unacknowledged messages; beyond it messages wait in its queue. While
// that queue holds guards.maxClientQueuedQos1Bytes or more, the routing callback of each new
// message is held: mqemitter calls the publisher's done only when every subscriber called back, and
// aedes reads a publisher's socket again only when its read batch is done, so exactly the publishers
// feeding this subscriber are slowed (the PUBACK of a message already read has gone out; nothing more
// is read from them). A subscriber that acknowledges nothing for guards.stalledClientTimeoutMs while
// it has messages in flight is disconnected ('stalled-consumer'); its held callbacks are released
// on close. For a persistent session aedes has already put every QoS >= 1 message in the session's
// persistence queue before routing it (enqueueOffline), so whatever was queued here is resent on
// reconnect; a clean session's queue ends with it [MQTT-3.1.2-6].
import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import type { Logger } from '../logger.ts';
import { levelsMatch } from '../contract/index.ts';
import type { Deliver, DeliveringClient, Delivery, RoutedPacket } from './aedes/internals.ts';
import { createQos1Queue, type Qos1Queue } from './qos1-queue.ts';
import type { BrokerStats } from './stats.ts';

export interface SubscriberFlowLimits {
  /** bytes waiting to be written to one client before QoS 0 to it is dropped */
  maxClientQueueBytes: number;
  /** QoS >= 1 messages sent to one client and not yet acknowledged (its send window) */
  maxClientInflight: number;
  /** bytes of QoS >= 1 messages waiting behind the window before its publishers are slowed */
  maxClientQueuedQos1Bytes: number;
  /** a client with messages in flight that acknowledges nothing for this long is disconnected */
  stalledClientTimeoutMs: number;
}

export interface SubscriberFlow {
  /** the delivery of one client, in the place of aedes' own */
  deliveryOf(client: DeliveringClient): Delivery;
  /** a PUBACK/PUBCOMP from the client on this connection */
  acknowledged(conn: Duplex): void;
  close(): void;
}

export function createSubscriberFlow(limits: SubscriberFlowLimits, stats: BrokerStats, log: Logger): SubscriberFlow {
  const queues = new WeakMap<object, Qos1Queue>();
  /** queues with messages in flight, swept for stalls */
  const busy = new Set<Qos1Queue>();
  const sweepMs = Math.max(20, Math.min(1000, Math.floor(limits.stalledClientTimeoutMs / 4)));
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const queue of busy) if (queue.stalledFor(now) >= limits.stalledClientTimeoutMs) queue.cutOff();
  }, sweepMs);
  sweeper.unref();

  // Fan-out calls deliver0 for every subscriber of one message in a row: encode once per message.
  let lastPacket: RoutedPacket | null = null;
  let lastRetain = false;
  let lastBytes: Buffer = Buffer.alloc(0);
  function encode0(packet: RoutedPacket): Buffer {
    if (packet !== lastPacket || packet.retain !== lastRetain) {
      lastBytes = mqttPacket.generate({ cmd: 'publish', topic: packet.topic, payload: packet.payload, qos: 0, retain: packet.retain, dup: false });
      lastPacket = packet;
      lastRetain = packet.retain;
    }
    return lastBytes;
  }

  function deliveryOf(client: DeliveringClient): Delivery {
    const conn = client.conn;
    const open = () => (client.connected || client.connecting) && !conn.destroyed;

    // The writes of one tick go out in one system call: corked on the first, uncorked once the
    // tick's routed messages and acks have all been written (one write per message cost 40 % of the
    // broker's time under fan-in). A persistent session's QoS >= 1 writes wait on its persistence.
    let corked = false;
    const uncork = () => {
      corked = false;
      conn.uncork();
    };
    const write = (bytes: Buffer) => {
      if (!corked) {
        corked = true;
        conn.cork();
        process.nextTick(uncork);
      }
      conn.write(bytes);
    };

    const deliver0: Deliver = (packet, cb) => {
      if (!isFresh(client, packet)) return cb();
      const toForward = client.authorizeForward(packet);
      if (!toForward || !open()) return cb();
      const waiting = conn.writableLength >= limits.maxClientQueueBytes;
      // Retained messages sent on SUBSCRIBE come one at a time: they wait for the socket instead.
      if (waiting && !packet.retain) {
        stats.drop('slow-consumer-qos0');
        return cb();
      }
      write(encode0(toForward));
      stats.messagesSent++;
      stats.payloadBytesSent += toForward.payload.length;
      if (waiting) return afterDrain(conn, cb);
      cb();
    };

    const writeQos = (packet: RoutedPacket) => {
      if (!conn.destroyed) write(mqttPacket.generate(packet as mqttPacket.IPublishPacket));
    };
    const queue = createQos1Queue({
      limits,
      stats,
      // read when the connection closes: CONNECT sets clean after install
      isPersistent: () => !client.clean,
      send(packet) {
        packet.messageId = client.takePacketId();
        packet.dup = false;
        stats.messagesSent++;
        stats.payloadBytesSent += packet.payload.length;
        // as aedes: a persistent session records the identifier first, so a PUBACK clears it
        if (client.clean || packet.retain) return writeQos(packet);
        const written = () => writeQos(packet);
        client.recordOutgoing(packet).then(written, written);
      },
      onBusy: (isBusy) => (isBusy ? busy.add(queue) : busy.delete(queue)),
      cutOff() {
        stats.drop('stalled-consumer');
        log.warn({ clientId: client.id, timeoutMs: limits.stalledClientTimeoutMs }, 'stalled consumer disconnected');
        conn.destroy();
      },
    });
    queues.set(conn, queue);
    conn.once('close', () => queue.close());

    const deliverQoS: Deliver = (packet, cb) => {
      // [MQTT-3.3.5-1]: the lower of the published and the granted QoS, retained messages included
      // (aedes downgrades only on a filter equal to the topic)
      const qos = packet.retain || packet.qos === 2 ? deliveredQos(client.subscriptions, packet) : packet.qos;
      if (qos === 0) {
        packet.qos = 0;
        return deliver0(packet, cb);
      }
      if (!isFresh(client, packet)) return cb();
      const toForward = client.authorizeForward(packet);
      if (!toForward || !open()) return cb();
      toForward.qos = qos;
      // A client's own messages never hold it: its PUBACKs as a subscriber arrive on the socket that
      // holding would stop reading.
      queue.push(toForward, cb, packet.clientId !== client.id);
    };
    return { deliver0, deliverQoS };
  }

  return {
    deliveryOf,
    acknowledged(conn) {
      queues.get(conn)?.acknowledged();
    },
    close() {
      clearInterval(sweeper);
    },
  };
}

function afterDrain(conn: Duplex, cb: () => void): void {
  const done = () => {
    conn.off('drain', done);
    conn.off('close', done);
    cb();
  };
  conn.on('drain', done);
  conn.on('close', done);
}

/**
 * A message routed to a client through two of its subscriptions arrives twice in a row: the second
 * is dropped. aedes' own dedupe also drops any message whose counter is below the last one seen, but
 * counters are taken when a packet is read and messages are routed in the order their persistence
 * and acknowledgement steps finish (a retained message waits for its commit), so that rule dropped
 * messages that were never delivered.
 */
function isFresh(client: DeliveringClient, packet: RoutedPacket): boolean {
  const id = packet.brokerId;
  if (!id) return true;
  const counter = packet.brokerCounter ?? 0;
  if (client.duplicates[id] === counter) return false;
  client.duplicates[id] = counter;
  return true;
}

/** The lower of the published QoS and the highest QoS granted to a filter matching the topic. */
export function deliveredQos(subscriptions: Record<string, { qos: number }>, packet: RoutedPacket): 0 | 1 | 2 {
  const levels = packet.topic.split('/');
  let granted = -1;
  for (const filter in subscriptions) {
    if (subscriptions[filter]!.qos > granted && levelsMatch(filter.split('/'), levels)) granted = subscriptions[filter]!.qos;
  }
  // a message delivered outside any subscription (client.publish) keeps its QoS
  if (granted < 0) return packet.qos;
  return Math.min(packet.qos, granted) as 0 | 1 | 2;
}
