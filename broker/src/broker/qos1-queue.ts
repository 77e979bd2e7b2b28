// One subscriber's QoS >= 1 flow: a send window of unacknowledged messages, a FIFO queue behind
// it bounded in bytes, and the routing callbacks held while that queue is full. No I/O here: the
// owner passes `send` (write one packet) and `cutOff` (disconnect), so a unit test drives it with
// plain functions.
import type { RoutedPacket } from './aedes/internals.ts';
import type { SubscriberFlowLimits } from './subscriber-flow.ts';
import type { BrokerStats } from './stats.ts';

export interface Qos1QueueOptions {
  limits: Pick<SubscriberFlowLimits, 'maxClientInflight' | 'maxClientQueuedQos1Bytes'>;
  stats: BrokerStats;
  /** a persistent session's queued messages are in aedes' persistence too: not lost on close */
  isPersistent(): boolean;
  send(packet: RoutedPacket): void;
  /** true when the first message goes in flight, false when nothing is in flight or queued */
  onBusy(isBusy: boolean): void;
  cutOff(): void;
}

export interface Qos1Queue {
  /** a routed message; `routed` is called now, or, when the queue is full and `mayHold`, once it has room again (or on close) */
  push(packet: RoutedPacket, routed: () => void, mayHold: boolean): void;
  /** a PUBACK/PUBCOMP arrived */
  acknowledged(): void;
  /** ms since the last acknowledgement while messages are in flight; 0 when none are */
  stalledFor(nowMs: number): number;
  /** disconnects the subscriber (once) */
  cutOff(): void;
  /** the connection closed: every held callback is released, the queue emptied */
  close(): void;
}

/** what one queued message holds besides its topic and payload (the routed packet object), so the bound is on memory */
export const queuedOverheadBytes = 128;
const sizeOf = (packet: RoutedPacket) => packet.topic.length + packet.payload.length + queuedOverheadBytes;

export function createQos1Queue(options: Qos1QueueOptions): Qos1Queue {
  const { limits, stats } = options;
  let inflight = 0;
  // FIFO as an array and a read index; compacted when the consumed head is large
  let waiting: Array<RoutedPacket | undefined> = [];
  let head = 0;
  let queuedBytes = 0;
  let held: Array<() => void> = [];
  let lastProgressMs = 0;
  let pumpScheduled = false;
  let isCutOff = false;
  let isClosed = false;

  function sendNow(packet: RoutedPacket): void {
    if (inflight++ === 0) {
      lastProgressMs = Date.now();
      options.onBusy(true);
    }
    options.send(packet);
  }

  /** Fills the window from the queue; runs once per tick of acknowledgements, not per PUBACK. */
  function pump(): void {
    pumpScheduled = false;
    if (isClosed) return;
    let sent = 0;
    while (inflight < limits.maxClientInflight && head < waiting.length) {
      const packet = waiting[head]!;
      waiting[head++] = undefined;
      queuedBytes -= sizeOf(packet);
      sent++;
      sendNow(packet);
    }
    stats.qos1Queued -= sent;
    if (head === waiting.length) {
      waiting = [];
      head = 0;
    } else if (head > 1024 && head * 2 > waiting.length) {
      waiting = waiting.slice(head);
      head = 0;
    }
    if (inflight === 0) options.onBusy(false);
    if (held.length > 0 && queuedBytes < limits.maxClientQueuedQos1Bytes) release();
  }

  function release(): void {
    const callbacks = held;
    held = [];
    for (const routed of callbacks) routed();
  }

  return {
    push(packet, routed, mayHold) {
      if (isClosed) return routed();
      if (inflight < limits.maxClientInflight && head === waiting.length) {
        sendNow(packet);
        return routed();
      }
      waiting.push(packet);
      queuedBytes += sizeOf(packet);
      stats.qos1Queued++;
      if (queuedBytes < limits.maxClientQueuedQos1Bytes || !mayHold) return routed();
      // full: the publishers feeding this subscriber wait (nothing is dropped)
      held.push(routed);
      stats.publishesHeld++;
    },
    acknowledged() {
      // a PUBACK for a message aedes resent itself on reconnect was never counted here
      if (inflight === 0) return;
      inflight--;
      lastProgressMs = Date.now();
      if (head < waiting.length) {
        if (!pumpScheduled) {
          pumpScheduled = true;
          process.nextTick(pump);
        }
      } else if (inflight === 0) {
        options.onBusy(false);
      }
    },
    stalledFor(nowMs) {
      return inflight > 0 ? nowMs - lastProgressMs : 0;
    },
    cutOff() {
      if (isCutOff || isClosed) return;
      isCutOff = true;
      options.cutOff();
    },
    close() {
      if (isClosed) return;
      isClosed = true;
      const left = waiting.length - head;
      stats.qos1Queued -= left;
      // a clean session ends with its connection [MQTT-3.1.2-6]; a persistent one keeps them in aedes' persistence
      if (left > 0 && !options.isPersistent()) stats.drop('session-ended', left);
      waiting = [];
      head = 0;
      queuedBytes = 0;
      options.onBusy(false);
      release();
    },
  };
}
