// Acknowledged = stored, the bridge's side. A held QoS >= 1 message whose point was mapped goes to
// the acknowledgement log; its release (the PUBACK) runs when the log commit holding it is fsynced.
// The messages of one drain form one record. Log positions are settled batch by batch: a batch
// formed when the log held N messages settles N once it and every batch before it are in the
// store or the spool (every logged message before N was in the batcher before that batch left it).
import type { AckLog, LoggedMessage } from './ack-log.ts';
import type { Batch } from './batcher.ts';

export interface HeldAcks {
  /** during a drain: a held message that became a point */
  add(message: LoggedMessage, release: () => void): void;
  /** end of the drain: what was added is queued for the next group commit */
  endDrain(): void;
  /** a batch left the batcher */
  formed(batch: Batch): void;
  /** that batch is in the store or the spool */
  settled(batch: Batch): void;
}

interface Ticket {
  upTo: number;
  done: boolean;
}

export function createHeldAcks(log: AckLog): HeldAcks {
  let messages: LoggedMessage[] = [];
  let releases: Array<() => void> = [];
  const tickets: Ticket[] = [];
  const ticketOf = new WeakMap<Batch, Ticket>();

  return {
    add(message, release) {
      messages.push(message);
      releases.push(release);
    },
    endDrain() {
      if (messages.length === 0) return;
      log.append(messages, releases);
      messages = [];
      releases = [];
    },
    formed(batch) {
      const ticket = { upTo: log.position, done: false };
      tickets.push(ticket);
      ticketOf.set(batch, ticket);
    },
    settled(batch) {
      const ticket = ticketOf.get(batch);
      if (!ticket) return;
      ticket.done = true;
      let upTo = -1;
      while (tickets[0]?.done) upTo = tickets.shift()!.upTo;
      if (upTo >= 0) log.settle(upTo);
    },
  };
}
