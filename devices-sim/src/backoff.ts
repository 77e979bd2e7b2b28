// Reconnect delays: exponential growth with full jitter (a uniform delay between 0 and the
// exponential bound, capped), so a fleet that lost its broker at the same instant does not come
// back at the same instant. See "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015).
import type { Random } from './signals/random.ts';

export interface BackoffOptions {
  /** bound of the first delay, ms */
  baseMs: number;
  /** no delay is longer than this, ms */
  capMs: number;
  /** uniform in [0, 1); seeded in tests */
  random: Random;
}

export interface Backoff {
  /** the delay before the next attempt; each call counts one more failed attempt */
  nextDelayMs(): number;
  /** after a successful connection: the next failure starts from the base again */
  reset(): void;
  readonly attempts: number;
}

export function backoffBoundMs(baseMs: number, capMs: number, attempt: number): number {
  // 2 ** attempt overflows to Infinity long after it passed any cap, which Math.min handles.
  return Math.min(capMs, baseMs * 2 ** attempt);
}

export function createBackoff(options: BackoffOptions): Backoff {
  let attempts = 0;
  return {
    nextDelayMs() {
      const bound = backoffBoundMs(options.baseMs, options.capMs, attempts);
      attempts++;
      return Math.floor(options.random() * bound);
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}
