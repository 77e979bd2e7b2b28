// Each persistent session's outgoing queue: QoS 1/2 messages waiting for the client (offline, or
// sent and not yet acknowledged) and PUBRELs waiting for PUBCOMP. Held in memory, in the order
// aedes-persistence's memory implementation keeps them, and written through to SQLite.
//
// A queue is bounded in messages and bytes; past either bound its oldest message is dropped and
// counted ('session-queue-full'). aedes enqueues every QoS ≥ 1 message for every persistent
// subscription, online or not, so for a connected client the queue also holds its in-flight
// messages: the bounds must be well above guards.maxClientInflight.
import aedesPersistence from 'aedes-persistence';
import { packetBytes, type StoredPacket } from './packet-codec.ts';
import type { SessionWrites } from './session-db.ts';

// aedes-packet's Packet, as aedes-persistence re-exports it: copies a packet's fields for queueing
const Packet = (aedesPersistence as unknown as { Packet: new (original: StoredPacket) => StoredPacket }).Packet;

export interface QueueBounds {
  maxMessages: number;
  maxBytes: number;
}

interface Entry {
  /** the row's key in SQLite, increasing in enqueue order */
  seq: number;
  packet: StoredPacket;
  bytes: number;
}

interface Queue {
  entries: Entry[];
  bytes: number;
}

export interface OutgoingQueues {
  enqueue(clientId: string, packet: StoredPacket): void;
  /** sets the packet id of a queued message, or replaces a message by its PUBREL; throws when unknown */
  update(clientId: string, packet: StoredPacket): void;
  /** removes the entry with the packet's id and returns it */
  clear(clientId: string, messageId: number | undefined): StoredPacket | undefined;
  snapshot(clientId: string): StoredPacket[];
  /** removes a client's whole queue; returns how many messages it held */
  drop(clientId: string): number;
  /** puts back a row read at start (no write) */
  restore(seq: number, clientId: string, packet: StoredPacket): void;
}

export function createOutgoingQueues(writes: SessionWrites, bounds: QueueBounds, onDropped: (count: number) => void): OutgoingQueues {
  const queues = new Map<string, Queue>();
  let nextSeq = 1;

  function queueOf(clientId: string): Queue {
    let queue = queues.get(clientId);
    if (!queue) queues.set(clientId, (queue = { entries: [], bytes: 0 }));
    return queue;
  }

  function push(queue: Queue, entry: Entry): void {
    queue.entries.push(entry);
    queue.bytes += entry.bytes;
    nextSeq = Math.max(nextSeq, entry.seq + 1);
  }

  function remove(queue: Queue, index: number): Entry {
    const [entry] = queue.entries.splice(index, 1) as [Entry];
    queue.bytes -= entry.bytes;
    writes.deleteOutgoing(entry.seq);
    return entry;
  }

  return {
    enqueue(clientId, original) {
      const packet = new Packet(original);
      const queue = queueOf(clientId);
      const entry = { seq: nextSeq, packet, bytes: packetBytes(packet) };
      push(queue, entry);
      writes.putOutgoing(entry.seq, clientId, packet);
      let dropped = 0;
      // drop-oldest, keeping at least the message just queued
      while (queue.entries.length > 1 && (queue.entries.length > bounds.maxMessages || queue.bytes > bounds.maxBytes)) {
        remove(queue, 0);
        dropped++;
      }
      if (dropped > 0) onDropped(dropped);
    },
    update(clientId, packet) {
      const entries = queues.get(clientId)?.entries ?? [];
      for (const entry of entries) {
        const queued = entry.packet;
        if (queued.brokerId === packet.brokerId) {
          if (queued.brokerCounter === packet.brokerCounter) {
            // Not written: after a restart aedes gives every queued message a new packet id when
            // the client comes back (connect.js emptyQueue), so the old one is never read.
            queued.messageId = packet.messageId;
            return;
          }
          // packet ids wrap at 65535: a different message may carry the same id, keep searching
        } else if (queued.messageId === packet.messageId) {
          // a PUBREL (or a packet from another broker) takes the message's place [MQTT-4.3.3-1]
          entry.packet = packet;
          writes.putOutgoing(entry.seq, clientId, packet);
          return;
        }
      }
      throw new Error('no such packet');
    },
    clear(clientId, messageId) {
      const queue = queues.get(clientId);
      if (!queue) return undefined;
      const index = queue.entries.findIndex((entry) => entry.packet.messageId === messageId);
      if (index < 0) return undefined;
      const { packet } = remove(queue, index);
      if (queue.entries.length === 0) queues.delete(clientId);
      return packet;
    },
    snapshot: (clientId) => (queues.get(clientId)?.entries ?? []).map((entry) => entry.packet),
    drop(clientId) {
      const queue = queues.get(clientId);
      if (!queue) return 0;
      for (const entry of queue.entries) writes.deleteOutgoing(entry.seq);
      queues.delete(clientId);
      return queue.entries.length;
    },
    restore(seq, clientId, packet) {
      // a PUBREL keeps its packet id and fields as stored; a message is queued as when first enqueued
      const stored = packet.cmd === 'publish' ? new Packet(packet) : packet;
      push(queueOf(clientId), { seq, packet: stored, bytes: packetBytes(stored) });
    },
  };
}
