// The byte budget shared by every SSE stream and polling log, and the reasons a session loses
// messages, tallied until its client is told.

export type DropReason = 'budget' | 'session-queue-full';
export type DropTally = Record<DropReason, number>;

export const noDrops = (): DropTally => ({ budget: 0, 'session-queue-full': 0 });

export interface ByteBudget {
  readonly limitBytes: number;
  readonly usedBytes: number;
  /** the most ever held at once */
  readonly peakBytes: number;
  /** takes `bytes` when they fit; false when they do not (the caller makes room or drops) */
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
