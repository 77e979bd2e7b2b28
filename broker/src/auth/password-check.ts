// The password path, shared by MQTT CONNECT and POST /api/login, as named steps:
//   remembered → cheap → reserved → queued → verified
// - remembered: a (user, secret) pair verified recently is found in a cache keyed by an HMAC with a
//   random per-process key (the secret itself is never kept), valid for `verifiedCacheTtlSec` and
//   only while the user's hash in the file is the one it was verified against (a passwd or remove
//   invalidates it). A reconnect storm after a network blip then costs one HMAC per device.
// - cheap: machine secrets (hmac-sha256 hashes) are checked at once; guessing 256 random bits is
//   hopeless at any speed, so they need neither the queue nor the guessing limits.
// - reserved: the failed-auth limiter counts the attempt before the check (per address and per user
//   name), so parallel guesses cannot all be hashed before the first failure is recorded.
// - queued: scrypt runs at most `passwordCheckConcurrency` at a time on the libuv pool, leaving the
//   rest of the pool to token verification (jose's WebCrypto) and file I/O; past
//   `passwordCheckMaxQueued` waiting checks the excess is refused at once (server unavailable).
// Valid tokens and remembered or machine credentials are therefore never refused because others
// failed from the same address.
import { createHmac, randomBytes } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Role } from '../contract/index.ts';
import type { AttemptOutcome, AuthFailureLimiter } from './index.ts';
import { isCheapHash, verifyMachineSecret, verifyPassword, type PasswordStore } from './passwords.ts';

export type PasswordRefusal = 'bad-password' | 'failed-auth-rate' | 'password-check-busy';
export type PasswordCheck = { ok: true; role: Role } | { ok: false; reason: PasswordRefusal };

export interface PasswordCheckerDeps {
  users: PasswordStore;
  limiter: AuthFailureLimiter;
  metrics: Registry;
  /** scrypt checks running at once (the libuv pool has 4 threads unless UV_THREADPOOL_SIZE says otherwise) */
  concurrency: number;
  /** scrypt checks waiting for a slot; more are refused at once */
  maxQueued: number;
  verifiedCacheTtlSec: number;
  verifiedCacheMaxEntries: number;
}

export interface PasswordChecker {
  check(username: string, secret: string, remoteAddress: string): Promise<PasswordCheck>;
}

export type Queued<T> = { ok: true; value: T } | { ok: false };

/** Runs at most `concurrency` tasks at once with at most `maxWaiting` waiting; sheds the rest. */
export function createBoundedQueue(concurrency: number, maxWaiting: number, onDepth: (waiting: number) => void = () => {}) {
  let running = 0;
  const waiting: Array<() => void> = [];
  const next = () => {
    running--;
    const start = waiting.shift();
    onDepth(waiting.length);
    start?.();
  };
  return {
    async run<T>(task: () => Promise<T>): Promise<Queued<T>> {
      if (running >= concurrency) {
        if (waiting.length >= maxWaiting) return { ok: false };
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          onDepth(waiting.length);
        });
      }
      running++;
      try {
        return { ok: true, value: await task() };
      } finally {
        next();
      }
    },
  };
}

interface Remembered {
  hash: string;
  expiresAtMs: number;
}

/** Verified (user, secret) pairs under an HMAC key that lives and dies with the process. */
function createVerifiedCache(ttlMs: number, maxEntries: number) {
  const key = randomBytes(32);
  const entries = new Map<string, Remembered>();
  const keyOf = (username: string, secret: string) => createHmac('sha256', key).update(username).update('\u0000').update(secret).digest('base64');
  return {
    /** true when this exact pair was verified against the user's current hash within the TTL */
    has(username: string, secret: string, currentHash: string, nowMs: number): boolean {
      const id = keyOf(username, secret);
      const entry = entries.get(id);
      if (!entry) return false;
      if (entry.expiresAtMs > nowMs && entry.hash === currentHash) return true;
      entries.delete(id);
      return false;
    },
    add(username: string, secret: string, hash: string, nowMs: number): void {
      const id = keyOf(username, secret);
      entries.delete(id);
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(id, { hash, expiresAtMs: nowMs + ttlMs });
    },
  };
}

export function createPasswordChecker(deps: PasswordCheckerDeps): PasswordChecker {
  const { users, limiter } = deps;
  const registers = [deps.metrics];
  const hashes = new Counter({ name: 'telemq_password_hashes_total', help: 'Password hashes computed to check a password, by scheme', labelNames: ['scheme'], registers });
  const cacheHits = new Counter({ name: 'telemq_password_cache_hits_total', help: 'Password checks answered by the verified-credential cache', registers });
  const queueDepth = new Gauge({ name: 'telemq_password_checks_waiting', help: 'scrypt checks waiting for a slot', registers });
  const queue = createBoundedQueue(deps.concurrency, deps.maxQueued, (n) => queueDepth.set(n));
  const cache = createVerifiedCache(deps.verifiedCacheTtlSec * 1000, deps.verifiedCacheMaxEntries);

  async function scryptCheck(username: string, secret: string, hash: string | undefined, remoteAddress: string): Promise<true | PasswordRefusal> {
    const reservation = limiter.reserve(remoteAddress, username);
    if (!reservation.ok) return 'failed-auth-rate';
    let outcome: AttemptOutcome = 'not_checked';
    try {
      const checked = await queue.run(async () => {
        hashes.inc({ scheme: 'scrypt' });
        // unknown names cost a hash too, so the answer's timing does not tell which names exist
        if (hash === undefined) return (await verifyPassword(secret, await users.dummyHash())) && false;
        return verifyPassword(secret, hash);
      });
      if (!checked.ok) return 'password-check-busy';
      outcome = checked.value ? 'succeeded' : 'failed';
      return checked.value || 'bad-password';
    } finally {
      reservation.settle(outcome);
    }
  }

  return {
    async check(username, secret, remoteAddress) {
      const record = users.find(username);
      const nowMs = Date.now();
      if (record && cache.has(username, secret, record.hash, nowMs)) {
        cacheHits.inc();
        return { ok: true, role: record.role };
      }
      if (record && isCheapHash(record.hash)) {
        hashes.inc({ scheme: 'hmac-sha256' });
        if (verifyMachineSecret(secret, record.hash)) return { ok: true, role: record.role };
        limiter.recordFailure(remoteAddress);
        return { ok: false, reason: 'bad-password' };
      }
      const result = await scryptCheck(username, secret, record?.hash, remoteAddress);
      if (result !== true) return { ok: false, reason: result };
      if (!record) return { ok: false, reason: 'bad-password' };
      // the role as the file says now (it may have changed while the hash ran)
      const current = users.find(username);
      if (!current || current.hash !== record.hash) return { ok: false, reason: 'bad-password' };
      cache.add(username, secret, record.hash, Date.now());
      return { ok: true, role: current.role };
    },
  };
}
