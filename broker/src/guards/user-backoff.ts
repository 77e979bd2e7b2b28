// Back-off per user name, whatever address the guesses come from: the first few failures are free,
// then each further check of that name waits twice as long as the one before (up to a bound) and
// only one runs at a time. A success forgets the name. Unknown names are tracked the same way, so
// the answer does not tell which names exist. The table is bounded: the oldest names are forgotten.
import type { AttemptOutcome } from '../auth/index.ts';

export interface UserBackoffLimits {
  /** failed checks of one user name before it backs off */
  failedAuthPerUserFree: number;
  /** first back-off after the free failures; doubles with each further failure */
  failedAuthUserBackoffMs: number;
  failedAuthUserBackoffMaxMs: number;
}

interface NameState {
  failures: number;
  pending: number;
  nextAllowedMs: number;
  lastFailureMs: number;
}

export interface UserReservation {
  settle(outcome: AttemptOutcome, nowMs: number): void;
}

const maxTrackedNames = 100_000;

export function createUserBackoff(limits: UserBackoffLimits) {
  const names = new Map<string, NameState>();

  function stateOf(name: string, nowMs: number): NameState {
    let state = names.get(name);
    // idle long past its back-off: start over (bounds how long a name stays in the table)
    if (state && state.pending === 0 && nowMs - Math.max(state.lastFailureMs, state.nextAllowedMs) > limits.failedAuthUserBackoffMaxMs) state = undefined;
    if (!state) {
      if (names.size >= maxTrackedNames) {
        const oldest = names.keys().next();
        if (!oldest.done) names.delete(oldest.value);
      }
      state = { failures: 0, pending: 0, nextAllowedMs: 0, lastFailureMs: nowMs };
      names.set(name, state);
    }
    return state;
  }

  return {
    /** null: this name is backing off; else a reservation to settle when the check is done */
    reserve(name: string, nowMs: number): UserReservation | null {
      const state = stateOf(name, nowMs);
      const free = limits.failedAuthPerUserFree;
      // counted before the check: pending checks count as failures until they succeed
      if (state.failures + state.pending >= free && (state.pending > 0 || nowMs < state.nextAllowedMs)) return null;
      state.pending++;
      let settled = false;
      return {
        settle(outcome, now) {
          if (settled) return;
          settled = true;
          state.pending--;
          if (outcome === 'not_checked') return;
          if (outcome === 'succeeded') {
            if (state.pending === 0) names.delete(name);
            else state.failures = 0;
            return;
          }
          state.failures++;
          state.lastFailureMs = now;
          const over = state.failures - free;
          if (over >= 0) state.nextAllowedMs = now + Math.min(limits.failedAuthUserBackoffMs * 2 ** over, limits.failedAuthUserBackoffMaxMs);
        },
      };
    },
  };
}
