/** A token bucket that may go into debt: take() says how long the caller should wait, 0 when a token was there. */
export interface TokenBucket {
  /** takes a token if one is there; false when empty (nothing taken) */
  tryTake(nowMs: number): boolean;
  /** takes a token, borrowing when empty; returns the wait in ms until that token is earned */
  takeOrWait(nowMs: number): number;
}

export function createTokenBucket(ratePerSec: number, burst: number, nowMs: number): TokenBucket {
  let tokens = burst;
  let lastMs = nowMs;
  const refill = (now: number) => {
    tokens = Math.min(burst, tokens + ((now - lastMs) * ratePerSec) / 1000);
    lastMs = now;
  };
  return {
    tryTake(now) {
      refill(now);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    takeOrWait(now) {
      refill(now);
      tokens -= 1;
      return tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / ratePerSec);
    },
  };
}
