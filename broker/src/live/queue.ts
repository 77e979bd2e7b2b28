// What a fallback session may hold: a byte budget shared by every SSE stream and polling session,
// and one polling session's queue, bounded in messages and in bytes. A full queue drops its oldest
// messages (a live view wants the newest); each drop is tallied by reason until a client is told.
// Over the budget, the queue collected longest ago gives up its oldest first.
import type { LiveItem } from './fanout.ts';

export type DropReason = 'budget' | 'session-queue-full';

/** A session queue as the budget sees it: what it holds, since when, and a way to give some back. */
export interface BudgetHolder {
  readonly bytes: number;
  /** when its client last took its messages (or when it was opened) */
  readonly collectedAtMs: number;
  /** drops its oldest message (counted against the budget); false when it holds nothing */
  giveUp(): boolean;
}

export interface ByteBudget {
  readonly limitBytes: number;
  readonly usedBytes: number;
  /** the most ever held at once */
  readonly peakBytes: number;
  /**
   * Takes `bytes` when they fit. When they do not and a `requester` is named, the holder whose
   * client has not come for its messages the longest gives them up first, if that is longer than
   * the requester's: an abandoned session pays for the budget, not a client that keeps up.
   */
  take(bytes: number, requester?: BudgetHolder): boolean;
  release(bytes: number): void;
  /** a holder that now holds bytes, or no longer does (its collectedAtMs changes only in between) */
  hold(holder: BudgetHolder): void;
  unhold(holder: BudgetHolder): void;
}

export function createByteBudget(limitBytes: number): ByteBudget {
  const holders = new Set<BudgetHolder>();
  let used = 0;
  let peak = 0;
  /** the holder collected longest ago; a scan only after it leaves */
  let oldest: BudgetHolder | undefined;

  function findOldest(): BudgetHolder | undefined {
    let found: BudgetHolder | undefined;
    for (const h of holders) if (!found || h.collectedAtMs < found.collectedAtMs) found = h;
    return found;
  }

  return {
    limitBytes,
    get usedBytes() {
      return used;
    },
    get peakBytes() {
      return peak;
    },
    take(bytes, requester) {
      while (used + bytes > limitBytes) {
        if (!requester) return false;
        oldest ??= findOldest();
        if (!oldest || oldest.collectedAtMs >= requester.collectedAtMs || !oldest.giveUp()) return false;
      }
      used += bytes;
      if (used > peak) peak = used;
      return true;
    },
    release(bytes) {
      used -= bytes;
    },
    hold(holder) {
      holders.add(holder);
      if (oldest && holder.collectedAtMs < oldest.collectedAtMs) oldest = holder;
    },
    unhold(holder) {
      holders.delete(holder);
      if (oldest === holder) oldest = undefined;
    },
  };
}

export interface SessionQueueOptions {
  maxMessages: number;
  maxBytes: number;
  budget: ByteBudget;
  now?: () => number;
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
  const now = options.now ?? Date.now;
  let collectedAtMs = now();
  let items: LiveItem[] = [];
  let head = 0;
  let bytes = 0;
  let dropped = noDrops();

  const length = () => items.length - head;
  const holder: BudgetHolder = {
    get bytes() {
      return bytes;
    },
    get collectedAtMs() {
      return collectedAtMs;
    },
    giveUp() {
      if (length() === 0) return false;
      shift('budget');
      return true;
    },
  };

  function shift(reason: DropReason): void {
    const oldest = items[head]!;
    items[head++] = undefined as unknown as LiveItem;
    bytes -= oldest.bytes;
    budget.release(oldest.bytes);
    dropped[reason] += 1;
    if (length() === 0) {
      items = [];
      head = 0;
      budget.unhold(holder);
    } else if (head > 64 && head * 2 > items.length) {
      items = items.slice(head);
      head = 0;
    }
  }

  function push(item: LiveItem): void {
    if (item.bytes > maxBytes) {
      dropped['session-queue-full'] += 1;
      return;
    }
    while (length() > 0 && (length() >= maxMessages || bytes + item.bytes > maxBytes)) shift('session-queue-full');
    while (!budget.take(item.bytes, holder)) {
      // Nobody has waited longer than this session's client: it makes room from its own oldest.
      if (length() === 0) {
        dropped.budget += 1;
        return;
      }
      shift('budget');
    }
    if (length() === 0) budget.hold(holder);
    items.push(item);
    bytes += item.bytes;
  }
  function take(): { items: LiveItem[]; dropped: DropTally } {
    const result = { items: head === 0 ? items : items.slice(head), dropped };
    budget.release(bytes);
    budget.unhold(holder);
    collectedAtMs = now();
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
