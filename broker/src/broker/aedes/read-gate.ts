// When a client's socket is read: only once everything read before has been handled, and never
// inside the callback that delivered the bytes.
//
// aedes 1.2 counts the packets of a read batch in _parsingBatch and reads again when the count
// falls to 0, but its 'readable' listener is that same countdown: each arrival of bytes counts as
// one handled packet, so a publisher sending one packet per write is read again while its last
// publish is still being routed. Flow control (subscriber-flow.ts) holds a publish's routing
// callback while a subscriber's queue is full; for that to slow the publisher, bytes arriving
// meanwhile must wait in the socket (whose buffer then fills and stops the TCP window).
//
// The next read also waits for the next turn of the event loop (setImmediate). Read in the same
// turn, a batch that is handled at once restarts reading inside libuv's read callback, which then
// reads that socket again, up to 32 times, before it looks at any other socket or timer: under a
// flat-out fan-in one loop turn lasted over a minute, /healthz and keepalive timers with it. Now
// each socket gives up at most one read (64 KiB) per turn.

import type { ClientInternals } from './internals.ts';

/** The parts of an aedes 1.2 client the gate reads and replaces. */
export type ReadingClient = Pick<ClientInternals, 'conn' | 'closed' | '_parsingBatch' | '_nextBatch'>;

/** True while aedes is still handling packets it read from this client. */
const isHandlingPackets = (client: ReadingClient) => !client.closed && client._parsingBatch > 0;

/** waiting for a client's packets to be handled (disconnectClients at shutdown) */
const handledWaiters = new WeakMap<ReadingClient, Array<() => void>>();

export function gateReads(client: ReadingClient): void {
  const conn = client.conn;
  const countdown = client._nextBatch;
  let readScheduled = false;
  const countdownNextTurn = () => {
    if (readScheduled) return;
    readScheduled = true;
    setImmediate(() => {
      readScheduled = false;
      countdown();
      if (!isHandlingPackets(client)) packetsHandled(client);
    });
  };
  // the last packet of a batch handled: read on the next turn; any other just counts down
  client._nextBatch = function nextBatch(err?: Error) {
    if (err || client._parsingBatch > 1) return countdown(err);
    countdownNextTurn();
  };
  let isFirstRead = true;
  conn.removeListener('readable', countdown);
  conn.on('readable', function gatedRead() {
    // 0: idle, so aedes' countdown reads (its -1 is clamped to 0); the first read starts from 1
    if (client._parsingBatch <= 0 || isFirstRead) {
      isFirstRead = false;
      countdownNextTurn();
    }
  });
  conn.once('close', () => packetsHandled(client));
}

function packetsHandled(client: ReadingClient): void {
  const waiters = handledWaiters.get(client);
  if (!waiters) return;
  handledWaiters.delete(client);
  for (const resolve of waiters) resolve();
}

/**
 * Resolves once aedes has handled every packet it read from this client (or the client closed):
 * publishes already read, and perhaps acknowledged, have been routed.
 */
export function whenPacketsHandled(client: ReadingClient): Promise<void> {
  if (!isHandlingPackets(client)) return Promise.resolve();
  return new Promise((resolve) => {
    const waiters = handledWaiters.get(client) ?? [];
    waiters.push(resolve);
    handledWaiters.set(client, waiters);
  });
}
