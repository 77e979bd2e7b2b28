// What polling sessions have not collected yet, held once per filter and shared by every session
// reading it: a session keeps only a cursor (an ordinal in each of its filters' logs), so a message
// costs the same whether one session or 2,000 have not come for it yet. A log holds at most what one
// session may (live.maxSessionMessages, live.maxSessionBytes), its oldest going first; all logs
// together stay within the byte budget shared with SSE, the oldest message of all giving way first.
// What a log lets go of before every reader read it is remembered by reason, so that a session is
// told how many it lost and why.
import type { LiveItem } from './fanout.ts';
import { noDrops, type ByteBudget, type DropReason, type DropTally } from './queue.ts';

export interface FilterLog {
  /** the ordinal the next message gets; a reader at `end` has read everything */
  readonly end: number;
  readonly bytes: number;
  append(item: LiveItem): void;
  /** the messages still held from ordinal `from` on, oldest first */
  readFrom(from: number): LiveItem[];
  /** how many a reader at `from` has lost, by reason */
  lostFrom(from: number): DropTally;
  /** messages held or lost from `from` on: what a reader there has not collected */
  pendingFrom(from: number): number;
  /** lets go of the messages before `ordinal`: every reader has read them */
  release(ordinal: number): void;
  close(): void;
}

export interface BacklogOptions {
  maxMessages: number;
  maxBytes: number;
  budget: ByteBudget;
}

export interface Backlog {
  open(): FilterLog;
}

interface Log extends FilterLog {
  readonly start: number;
  readonly closed: boolean;
  trimFront(reason: DropReason): void;
}

/** ordinals [from, to) let go of for one reason before every reader read them */
interface Run {
  from: number;
  to: number;
  reason: DropReason;
}
/** runs kept per log; older ones merge (a reader that far behind has its losses attributed roughly) */
const maxRuns = 256;

export function createBacklog(options: BacklogOptions): Backlog {
  const { maxMessages, maxBytes, budget } = options;
  // Every held message of every log in arrival order, so that the oldest of all goes first when
  // the budget is spent. Entries of messages already let go of are skipped as they reach the front.
  let orderLogs: Log[] = [];
  let orderOrdinals: number[] = [];
  let orderHead = 0;

  const stale = (i: number) => orderLogs[i]!.closed || orderOrdinals[i]! < orderLogs[i]!.start;
  function skipStale(): void {
    while (orderHead < orderLogs.length && stale(orderHead)) orderHead++;
    if (orderHead === orderLogs.length) {
      orderLogs = [];
      orderOrdinals = [];
      orderHead = 0;
    } else if (orderHead > 1024 && orderHead * 2 > orderLogs.length) {
      orderLogs = orderLogs.slice(orderHead);
      orderOrdinals = orderOrdinals.slice(orderHead);
      orderHead = 0;
    }
  }
  /** takes `bytes` from the budget, letting go of the oldest messages of all logs while they do not fit */
  function makeRoom(bytes: number): boolean {
    while (!budget.take(bytes)) {
      skipStale();
      if (orderHead === orderLogs.length) return false;
      orderLogs[orderHead]!.trimFront('budget');
    }
    return true;
  }

  function open(): Log {
    let items: Array<LiveItem | null> = [];
    let head = 0;
    let start = 0;
    let bytes = 0;
    let closed = false;
    let runs: Run[] = [];
    /** messages never held: larger than a session may hold, or fitting nowhere in the budget */
    let refused: Array<{ ordinal: number; reason: DropReason }> = [];
    const length = () => items.length - head;

    function trimFront(reason: DropReason | null): void {
      const item = items[head];
      items[head++] = null;
      start++;
      if (item) {
        bytes -= item.bytes;
        budget.release(item.bytes);
        if (reason) addRun(start - 1, reason);
      }
      if (length() === 0) {
        items = [];
        head = 0;
      } else if (head > 64 && head * 2 > items.length) {
        items = items.slice(head);
        head = 0;
      }
    }
    function addRun(ordinal: number, reason: DropReason): void {
      const last = runs.at(-1);
      if (last && last.to === ordinal && last.reason === reason) last.to++;
      else runs.push({ from: ordinal, to: ordinal + 1, reason });
      if (runs.length > maxRuns) runs.splice(0, 2, { from: runs[0]!.from, to: runs[1]!.to, reason: runs[1]!.reason });
    }
    function hold(item: LiveItem | null): void {
      items.push(item);
      if (item) {
        bytes += item.bytes;
        orderLogs.push(log);
        orderOrdinals.push(start + length() - 1);
      }
    }

    const log: Log = {
      get start() {
        return start;
      },
      get end() {
        return start + length();
      },
      get bytes() {
        return bytes;
      },
      get closed() {
        return closed;
      },
      trimFront,
      append(item) {
        if (closed) return;
        if (item.bytes > maxBytes) {
          refused.push({ ordinal: log.end, reason: 'session-queue-full' });
          return hold(null);
        }
        while (length() > 0 && (length() >= maxMessages || bytes + item.bytes > maxBytes)) trimFront('session-queue-full');
        if (makeRoom(item.bytes)) return hold(item);
        refused.push({ ordinal: log.end, reason: 'budget' });
        hold(null);
      },
      readFrom(from) {
        const held = items.slice(head + Math.max(0, from - start));
        return held.every(Boolean) ? (held as LiveItem[]) : held.filter((i): i is LiveItem => i !== null);
      },
      lostFrom(from) {
        const lost = noDrops();
        for (let i = runs.length - 1; i >= 0 && runs[i]!.to > from; i--) lost[runs[i]!.reason] += runs[i]!.to - Math.max(from, runs[i]!.from);
        for (const r of refused) if (r.ordinal >= from) lost[r.reason] += 1;
        return lost;
      },
      // Every ordinal from a reader's cursor on is held, or was let go of and counted as lost:
      // release() only lets go of what is behind every cursor.
      pendingFrom: (from) => Math.max(0, log.end - from),
      release(ordinal) {
        while (length() > 0 && start < ordinal) trimFront(null);
        runs = runs.filter((r) => r.to > ordinal);
        if (refused.length > 0) refused = refused.filter((r) => r.ordinal >= ordinal);
        skipStale();
      },
      close() {
        if (closed) return;
        closed = true;
        budget.release(bytes);
        bytes = 0;
        items = [];
        head = 0;
        runs = [];
        refused = [];
        skipStale();
      },
    };
    return log;
  }

  return { open };
}

/** The newest of `items` within one session's bounds; the older ones are counted as lost. */
export function newestWithin(items: LiveItem[], maxMessages: number, maxBytes: number, lost: DropTally): LiveItem[] {
  let bytes = 0;
  let i = items.length;
  while (i > 0 && items.length - i < maxMessages && bytes + items[i - 1]!.bytes <= maxBytes) bytes += items[--i]!.bytes;
  lost['session-queue-full'] += i;
  return i === 0 ? items : items.slice(i);
}
