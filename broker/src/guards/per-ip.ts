// Per-IP limits: open connections, connection attempts per minute (the ConnectionGate the
// transports call before reading a byte) and failed authentications per minute.
import type { AuthFailureLimiter } from '../auth/index.ts';
import type { TransportKind } from '../broker/types.ts';
import type { ConnectionGate } from '../transport/gate.ts';
import type { Refusals } from './refusals.ts';
import { createUserBackoff, type UserBackoffLimits } from './user-backoff.ts';

const windowMs = 60_000;

/** Counts per key in the current one-minute window; forgets old windows. */
function createMinuteCounter() {
  let windowStartMs = Date.now();
  let counts = new Map<string, number>();
  const roll = () => {
    const now = Date.now();
    if (now - windowStartMs >= windowMs) {
      windowStartMs = now;
      counts = new Map();
    }
  };
  return {
    get(key: string): number {
      roll();
      return counts.get(key) ?? 0;
    },
    add(key: string): number {
      roll();
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return n;
    },
  };
}

export interface PerIpLimits {
  maxConnectionsPerIp: number;
  connectAttemptsPerIpPerMin: number;
  failedAuthPerIpPerMin: number;
}

export function createLimitingGate(limits: PerIpLimits, refusals: Refusals): ConnectionGate {
  const counts: Record<TransportKind, number> = { tcp: 0, tls: 0, ws: 0, wss: 0 };
  const openByIp = new Map<string, number>();
  const attempts = createMinuteCounter();
  return {
    admit(transport, ip) {
      if (attempts.add(ip) > limits.connectAttemptsPerIpPerMin) {
        refusals.refuse('connect-rate', ip, { remoteAddress: ip, transport });
        return { ok: false, reason: 'too many connection attempts from this address' };
      }
      const open = openByIp.get(ip) ?? 0;
      if (open >= limits.maxConnectionsPerIp) {
        refusals.refuse('connections-per-ip', ip, { remoteAddress: ip, transport });
        return { ok: false, reason: 'too many connections from this address' };
      }
      openByIp.set(ip, open + 1);
      counts[transport]++;
      let released = false;
      return {
        ok: true,
        release: () => {
          if (released) return;
          released = true;
          counts[transport]--;
          const left = (openByIp.get(ip) ?? 1) - 1;
          if (left <= 0) openByIp.delete(ip);
          else openByIp.set(ip, left);
        },
      };
    },
    open: () => ({ ...counts }),
  };
}

/**
 * Failed authentications per address per minute, and a back-off per user name. An expensive check
 * is reserved before it runs and counted as a failure until it succeeds, so parallel guesses from
 * one address cannot all be checked before the first failure is recorded: at most the limit run.
 */
export function createAuthFailureLimiter(limits: PerIpLimits & UserBackoffLimits): AuthFailureLimiter {
  const failures = createMinuteCounter();
  const pendingByIp = new Map<string, number>();
  const users = createUserBackoff(limits);
  const addPending = (ip: string, delta: number) => {
    const n = (pendingByIp.get(ip) ?? 0) + delta;
    if (n <= 0) pendingByIp.delete(ip);
    else pendingByIp.set(ip, n);
  };
  return {
    reserve(ip, username) {
      if (failures.get(ip) + (pendingByIp.get(ip) ?? 0) >= limits.failedAuthPerIpPerMin) return { ok: false, by: 'address' };
      const user = users.reserve(username, Date.now());
      if (!user) return { ok: false, by: 'user' };
      addPending(ip, 1);
      let settled = false;
      return {
        ok: true,
        settle(outcome) {
          if (settled) return;
          settled = true;
          addPending(ip, -1);
          user.settle(outcome, Date.now());
          if (outcome === 'failed') failures.add(ip);
        },
      };
    },
    recordFailure: (ip) => void failures.add(ip),
  };
}
