// Stored sessions and their expiry. A client that connects with CleanSession 0 has a session from
// then on, remembered in the sessions table with the time it was last connected, so Session Present
// is right after a restart [MQTT-3.2.2-2]. A session whose client has not been connected for
// guards.sessionExpirySec is deleted with its subscriptions and queue (MQTT 3.1.1 lets the server
// discard a session under administrative policy; MQTT 5 names this the session expiry interval).
import type { SessionRegistry } from '../session-registry.ts';
import type { SessionWrites } from './session-db.ts';

export interface SessionExpiry extends SessionRegistry {
  restore(sessions: Array<{ clientId: string; lastSeenMs: number }>): void;
  /** deletes the sessions expired at `nowMs`; returns how many (the sweep calls it on a timer) */
  sweep(nowMs: number): number;
  close(): void;
}

export interface SessionExpiryDeps {
  db: SessionWrites;
  /** 0: sessions never expire */
  expirySec: number;
  /** deletes everything the session holds but its sessions row */
  expire(clientId: string): void;
  now?: () => number;
}

/** A sweep at least this often, so a session outlives its expiry by at most this much. */
const maxSweepIntervalMs = 60_000;

export function createSessionExpiry(deps: SessionExpiryDeps): SessionExpiry {
  const now = deps.now ?? Date.now;
  /** client id → last time it was connected (while connected: when it connected) */
  const lastSeen = new Map<string, number>();
  const online = new Set<string>();
  const expiryMs = deps.expirySec * 1000;

  function sweep(nowMs: number): number {
    let expired = 0;
    for (const [clientId, seenMs] of lastSeen) {
      if (online.has(clientId)) {
        // connected sessions are seen now: after a kill -9 their expiry counts from about the crash
        lastSeen.set(clientId, nowMs);
        deps.db.putSession(clientId, nowMs);
        continue;
      }
      if (nowMs - seenMs < expiryMs) continue;
      lastSeen.delete(clientId);
      deps.db.deleteSession(clientId);
      deps.expire(clientId);
      expired++;
    }
    return expired;
  }

  const timer = expiryMs > 0 ? setInterval(() => sweep(now()), Math.min(Math.max(expiryMs / 2, 100), maxSweepIntervalMs)) : undefined;
  timer?.unref();

  return {
    has: (clientId) => lastSeen.has(clientId),
    connected(clientId, clean) {
      if (clean) {
        if (lastSeen.delete(clientId)) deps.db.deleteSession(clientId);
        return;
      }
      online.add(clientId);
      const atMs = now();
      lastSeen.set(clientId, atMs);
      deps.db.putSession(clientId, atMs);
    },
    disconnected(clientId, clean) {
      if (clean || !online.delete(clientId) || !lastSeen.has(clientId)) return;
      const atMs = now();
      lastSeen.set(clientId, atMs);
      deps.db.putSession(clientId, atMs);
    },
    restore(sessions) {
      for (const { clientId, lastSeenMs } of sessions) lastSeen.set(clientId, lastSeenMs);
    },
    sweep,
    close: () => clearInterval(timer),
  };
}
