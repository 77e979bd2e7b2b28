// What polling sessions have not collected yet, held once per filter and shared by every session
// reading it: a session keeps only a cursor in each of its filters' logs, so a message costs the
// same whether one session or 2,000 have not come for it yet. A log holds at most what one session
// may (live.maxSessionMessages, live.maxSessionBytes), its oldest going first. All logs together
// stay within the byte budget shared with SSE; when it is spent, the readers that read longest ago
// lose their messages first, so that sessions abandoned under a flood pay for the budget and a
// session that keeps polling does not. What a log lets go of before every reader read it is
// remembered by reason, so that a session is told how many it lost and why.
import type { LiveItem } from './fanout.ts';
import { noDrops, type ByteBudget, type DropReason, type DropTally } from './queue.ts';

/** One reader's place in a log. */
export interface LogCursor {
  /** the ordinal it reads next */
  readonly at: number;
}

export interface FilterLog {
  /** the ordinal the next message gets; a reader at `end` has read everything */
  readonly end: number;
  readonly bytes: number;
  readonly readers: number;
  append(item: LiveItem): void;
  /** a new reader, reading from the next message on */
  join(): LogCursor;
  leave(cursor: LogCursor): void;
  /** the messages still held from the cursor on, oldest first, and how many it lost meanwhile; moves it to the end */
  read(cursor: LogCursor): { items: LiveItem[]; lost: DropTally };
  /** messages held or lost from the cursor on: what its reader has not collected */
  pending(cursor: LogCursor): number;
  /** lets go of what every reader has read (a log with one reader does so at each read) */
  compact(): void;
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

interface Cursor extends LogCursor {
  at: number;
  /** when its reader last read, in reads of all logs: the readers read longest ago pay first */
  readAt: number;
}

interface Log extends FilterLog {
  readonly start: number;
  /** the parts of the log, front first, each with the latest read of the readers that letting it go would hurt */
  segments(): Segment[];
  /** lets go of the front message for the budget; the bytes it gave back */
  evictFront(): number;
}

interface Segment {
  log: Log;
  /** the ordinal after its last message */
  to: number;
  /** the latest read among the readers that have not read it (-1: nobody needs it) */
  neededSince: number;
  /** arrival of its first message, to let the older go first among equals */
  firstSeq: number;
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
  const logs = new Set<Log>();
  let reads = 0;
  // Choosing what goes sorts every cursor, so the budget is freed a slice at a time rather than
  // message by message: what goes beyond the bare need is what the longest-absent readers hold.
  const slackBytes = Math.ceil(budget.limitBytes / 64);

  /** takes `bytes` from the budget, letting go of what the readers read longest ago hold when they do not fit */
  function makeRoom(bytes: number): boolean {
    if (budget.take(bytes)) return true;
    let toFree = budget.usedBytes + bytes - budget.limitBytes + slackBytes;
    const segments = [...logs].flatMap((l) => l.segments()).sort((a, b) => a.neededSince - b.neededSince || a.firstSeq - b.firstSeq);
    for (const { log, to } of segments) {
      while (toFree > 0 && log.start < to) toFree -= log.evictFront();
      if (toFree <= 0) break;
    }
    return budget.take(bytes);
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
    const cursors = new Set<Cursor>();
    const length = () => items.length - head;

    function trimFront(reason: DropReason | null): number {
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
      return item?.bytes ?? 0;
    }
    function addRun(ordinal: number, reason: DropReason): void {
      const last = runs.at(-1);
      if (last && last.to === ordinal && last.reason === reason) last.to++;
      else runs.push({ from: ordinal, to: ordinal + 1, reason });
      if (runs.length > maxRuns) runs.splice(0, 2, { from: runs[0]!.from, to: runs[1]!.to, reason: runs[1]!.reason });
    }
    function release(ordinal: number): void {
      while (length() > 0 && start < ordinal) trimFront(null);
      runs = runs.filter((r) => r.to > ordinal);
      if (refused.length > 0) refused = refused.filter((r) => r.ordinal >= ordinal);
    }
    function lostFrom(from: number): DropTally {
      const lost = noDrops();
      for (let i = runs.length - 1; i >= 0 && runs[i]!.to > from; i--) lost[runs[i]!.reason] += runs[i]!.to - Math.max(from, runs[i]!.from);
      for (const r of refused) if (r.ordinal >= from) lost[r.reason] += 1;
      return lost;
    }
    const seqAt = (ordinal: number) => items[head + ordinal - start]?.seq ?? Infinity;

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
      get readers() {
        return cursors.size;
      },
      append(item) {
        if (closed) return;
        if (item.bytes > maxBytes) {
          refused.push({ ordinal: log.end, reason: 'session-queue-full' });
          items.push(null);
          return;
        }
        while (length() > 0 && (length() >= maxMessages || bytes + item.bytes > maxBytes)) trimFront('session-queue-full');
        if (!makeRoom(item.bytes)) {
          refused.push({ ordinal: log.end, reason: 'budget' });
          items.push(null);
          return;
        }
        items.push(item);
        bytes += item.bytes;
      },
      join() {
        const cursor: Cursor = { at: log.end, readAt: ++reads };
        cursors.add(cursor);
        return cursor;
      },
      leave(cursor) {
        cursors.delete(cursor as Cursor);
      },
      read(cursor) {
        const c = cursor as Cursor;
        const held = items.slice(head + Math.max(0, c.at - start));
        const lost = lostFrom(c.at);
        c.at = log.end;
        c.readAt = ++reads;
        if (cursors.size === 1) release(c.at);
        return { items: held.every(Boolean) ? (held as LiveItem[]) : held.filter((i): i is LiveItem => i !== null), lost };
      },
      // Every ordinal from a cursor on is held, or was let go of and counted as lost: the log only
      // lets go without counting of what is behind every cursor.
      pending: (cursor) => Math.max(0, log.end - cursor.at),
      compact() {
        let min = log.end;
        for (const c of cursors) min = Math.min(min, c.at);
        release(min);
      },
      segments() {
        const byPlace = [...cursors].sort((a, b) => a.at - b.at);
        const segments: Segment[] = [];
        let from = start;
        let neededSince = -1;
        for (const c of byPlace) {
          if (c.at > from && from < log.end) {
            segments.push({ log, to: Math.min(c.at, log.end), neededSince, firstSeq: seqAt(from) });
            from = c.at;
          }
          neededSince = Math.max(neededSince, c.readAt);
        }
        if (from < log.end) segments.push({ log, to: log.end, neededSince, firstSeq: seqAt(from) });
        return segments;
      },
      evictFront: () => trimFront('budget'),
      close() {
        if (closed) return;
        closed = true;
        logs.delete(log);
        budget.release(bytes);
        bytes = 0;
        items = [];
        head = 0;
        runs = [];
        refused = [];
        cursors.clear();
      },
    };
    logs.add(log);
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
