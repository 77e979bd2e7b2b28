// What a fallback session may hold: a byte budget shared by every SSE stream and polling session,
// and one polling session's queue, bounded in messages and in bytes. A full queue drops its oldest
// messages (a live view wants the newest); each drop is tallied by reason until a client is told.
import type { LiveItem } from './fanout.ts';

export type DropReason = 'budget' | 'session-queue-full';

export interface ByteBudget {
  readonly limitBytes: number;
  readonly usedBytes: number;
  /** the most ever held at once */
  readonly peakBytes: number;
  /** takes `bytes` when they fit under the limit */
  take(bytes: number): boolean;
  release(bytes: number): void;
}

export function createByteBudget(limitBytes: number): ByteBudget {
  let used = 0;
  let peak = 0;
  return {
    limitBytes,
    get usedBytes() {
      return used;
    },
    get peakBytes() {
      return peak;
    },
    take(bytes) {
      if (used + bytes > limitBytes) return false;
      used += bytes;
      if (used > peak) peak = used;
      return true;
    },
    release(bytes) {
      used -= bytes;
    },
  };
}

export interface SessionQueueOptions {
  maxMessages: number;
  maxBytes: number;
  budget: ByteBudget;
}

export type DropTally = Record<DropReason, number>;

export interface SessionQueue {
  readonly length: number;
  readonly bytes: number;
  push(item: LiveItem): void;
  /** hands over every queued message and the drops since the last take, releasing their bytes */
  take(): { items: LiveItem[]; dropped: DropTally };
  /** keeps only the messages `keep` accepts (after a filter change) */
  retain(keep: (item: LiveItem) => boolean): void;
  /** releases everything; says how many messages were held or dropped and never handed over */
  clear(): number;
}

export const noDrops = (): DropTally => ({ budget: 0, 'session-queue-full': 0 });

export function createSessionQueue(options: SessionQueueOptions): SessionQueue {
  const { maxMessages, maxBytes, budget } = options;
  let items: LiveItem[] = [];
  let head = 0;
  let bytes = 0;
  let dropped = noDrops();

  function shift(reason: DropReason): void {
    const oldest = items[head]!;
    items[head++] = undefined as unknown as LiveItem;
    bytes -= oldest.bytes;
    budget.release(oldest.bytes);
    dropped[reason] += 1;
    if (head > 64 && head * 2 > items.length) {
      items = items.slice(head);
      head = 0;
    }
  }
  const length = () => items.length - head;

  function push(item: LiveItem): void {
    if (item.bytes > maxBytes) {
      dropped['session-queue-full'] += 1;
      return;
    }
    while (length() > 0 && (length() >= maxMessages || bytes + item.bytes > maxBytes)) shift('session-queue-full');
    while (!budget.take(item.bytes)) {
      // Over the shared budget, this session makes room from its own oldest, never from others'.
      if (length() === 0) {
        dropped.budget += 1;
        return;
      }
      shift('budget');
    }
    items.push(item);
    bytes += item.bytes;
  }
  function take(): { items: LiveItem[]; dropped: DropTally } {
    const result = { items: head === 0 ? items : items.slice(head), dropped };
    budget.release(bytes);
    items = [];
    head = 0;
    bytes = 0;
    dropped = noDrops();
    return result;
  }

  return {
    get length() {
      return length();
    },
    get bytes() {
      return bytes;
    },
    push,
    take,
    retain(keep) {
      const before = take();
      dropped = before.dropped;
      for (const item of before.items) if (keep(item)) push(item);
    },
    clear() {
      const lost = take();
      return lost.items.length + lost.dropped.budget + lost.dropped['session-queue-full'];
    },
  };
}
