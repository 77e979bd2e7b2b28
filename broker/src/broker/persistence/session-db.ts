// The sessions' SQLite file: tables, statements, loading at start, and group commit.
//
// Every change the persistence makes in memory is also queued here as one write; the writes of one
// event-loop turn run in one transaction, committed in a setImmediate, and every caller of that
// turn waits for that one commit. aedes answers (PUBACK, SUBACK, CONNACK) only after the
// persistence's promise resolves, so what the broker acknowledged is in the WAL, and a kill -9
// loses nothing acknowledged. One commit per turn instead of one per message: on this machine a
// commit costs ~100 µs and a row ~10 µs (bench/session-persistence.ts), so batching is what keeps
// SQLite on the event loop affordable.
import { openSqlite, type SqliteDatabase } from '../../sqlite/open-sqlite.ts';
import { decodePacket, encodePacket, type StoredPacket } from './packet-codec.ts';

const ddl = `
CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, meta TEXT NOT NULL, payload BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscriptions (
  client_id TEXT NOT NULL, topic TEXT NOT NULL, options TEXT NOT NULL, PRIMARY KEY (client_id, topic)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outgoing (seq INTEGER PRIMARY KEY, client_id TEXT NOT NULL, meta TEXT NOT NULL, payload BLOB);
CREATE TABLE IF NOT EXISTS incoming (
  client_id TEXT NOT NULL, message_id INTEGER NOT NULL, meta TEXT NOT NULL, payload BLOB, PRIMARY KEY (client_id, message_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wills (client_id TEXT PRIMARY KEY, meta TEXT NOT NULL, payload BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (client_id TEXT PRIMARY KEY, last_seen_ms INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Subscription options as aedes stores them per client and topic (qos, rh, rap, nl, …). */
export type SubscriptionOptions = Record<string, unknown> & { qos: number };

export interface LoadedSessions {
  retained: StoredPacket[];
  subscriptions: Array<{ clientId: string; topic: string; options: SubscriptionOptions }>;
  /** in queue order */
  outgoing: Array<{ seq: number; clientId: string; packet: StoredPacket }>;
  incoming: Array<{ clientId: string; packet: StoredPacket }>;
  wills: Array<{ clientId: string; packet: StoredPacket }>;
  sessions: Array<{ clientId: string; lastSeenMs: number }>;
}

/** The writes the persistence makes; each is queued for the current turn's transaction. */
export interface SessionWrites {
  putRetained(packet: StoredPacket): void;
  deleteRetained(topic: string): void;
  putSubscription(clientId: string, topic: string, options: SubscriptionOptions): void;
  deleteSubscription(clientId: string, topic: string): void;
  deleteSubscriptions(clientId: string): void;
  putOutgoing(seq: number, clientId: string, packet: StoredPacket): void;
  deleteOutgoing(seq: number): void;
  putIncoming(clientId: string, messageId: number, packet: StoredPacket): void;
  deleteIncoming(clientId: string, messageId: number): void;
  deleteIncomingOf(clientId: string): void;
  putWill(clientId: string, packet: StoredPacket): void;
  deleteWill(clientId: string): void;
  putSession(clientId: string, lastSeenMs: number): void;
  deleteSession(clientId: string): void;
}

/** What the group commit has cost so far: the event-loop time SQLite takes (bench/session-persistence.ts). */
export interface CommitStats {
  commits: number;
  rows: number;
  totalMs: number;
  maxMs: number;
}

export interface SessionDb extends SessionWrites {
  load(): LoadedSessions;
  commitStats(): CommitStats;
  /** resolves when every write queued so far is committed (at once when none is pending) */
  committed(): Promise<void>;
  /** commits what is pending, then closes the file */
  close(): void;
}

interface Batch {
  writes: Array<() => void>;
  done: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

export function openSessionDb(file: string, onCommitError: (err: Error) => void): SessionDb {
  const db = openSqlite(file);
  db.exec(ddl);
  const s = statements(db);
  let batch: Batch | null = null;
  let closed = false;
  const stats: CommitStats = { commits: 0, rows: 0, totalMs: 0, maxMs: 0 };

  function commit(): void {
    const current = batch;
    batch = null;
    if (!current) return;
    try {
      const started = performance.now();
      db.transaction(() => {
        for (const write of current.writes) write();
      })();
      const ms = performance.now() - started;
      stats.commits++;
      stats.rows += current.writes.length;
      stats.totalMs += ms;
      stats.maxMs = Math.max(stats.maxMs, ms);
      current.resolve();
    } catch (err) {
      onCommitError(err as Error);
      current.reject(err as Error);
    }
  }

  function queue(write: () => void): void {
    // after close (the broker is closed first, so nothing should come): dropped, never thrown
    // into an aedes event handler
    if (closed) return;
    if (!batch) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      done.catch(() => {}); // a failed commit is reported by onCommitError and to each waiter
      batch = { writes: [], done, resolve, reject };
      setImmediate(commit);
    }
    batch.writes.push(write);
  }

  return {
    putRetained: (p) => queue(() => s.putRetained.run(p.topic, ...encodePacket(p))),
    deleteRetained: (topic) => queue(() => s.deleteRetained.run(topic)),
    putSubscription: (id, topic, options) => queue(() => s.putSubscription.run(id, topic, JSON.stringify(options))),
    deleteSubscription: (id, topic) => queue(() => s.deleteSubscription.run(id, topic)),
    deleteSubscriptions: (id) => queue(() => s.deleteSubscriptions.run(id)),
    putOutgoing: (seq, id, p) => queue(() => s.putOutgoing.run(seq, id, ...encodePacket(p))),
    deleteOutgoing: (seq) => queue(() => s.deleteOutgoing.run(seq)),
    putIncoming: (id, messageId, p) => queue(() => s.putIncoming.run(id, messageId, ...encodePacket(p))),
    deleteIncoming: (id, messageId) => queue(() => s.deleteIncoming.run(id, messageId)),
    deleteIncomingOf: (id) => queue(() => s.deleteIncomingOf.run(id)),
    putWill: (id, p) => queue(() => s.putWill.run(id, ...encodePacket(p))),
    deleteWill: (id) => queue(() => s.deleteWill.run(id)),
    putSession: (id, lastSeenMs) => queue(() => s.putSession.run(id, lastSeenMs)),
    deleteSession: (id) => queue(() => s.deleteSession.run(id)),
    load: () => load(db),
    commitStats: () => ({ ...stats }),
    committed: () => batch?.done ?? Promise.resolve(),
    close() {
      if (closed) return;
      commit();
      closed = true;
      db.close();
    },
  };
}

function statements(db: SqliteDatabase) {
  return {
    putRetained: db.prepare('INSERT OR REPLACE INTO retained (topic, meta, payload) VALUES (?, ?, ?)'),
    deleteRetained: db.prepare('DELETE FROM retained WHERE topic = ?'),
    putSubscription: db.prepare('INSERT OR REPLACE INTO subscriptions (client_id, topic, options) VALUES (?, ?, ?)'),
    deleteSubscription: db.prepare('DELETE FROM subscriptions WHERE client_id = ? AND topic = ?'),
    deleteSubscriptions: db.prepare('DELETE FROM subscriptions WHERE client_id = ?'),
    putOutgoing: db.prepare('INSERT OR REPLACE INTO outgoing (seq, client_id, meta, payload) VALUES (?, ?, ?, ?)'),
    deleteOutgoing: db.prepare('DELETE FROM outgoing WHERE seq = ?'),
    putIncoming: db.prepare('INSERT OR REPLACE INTO incoming (client_id, message_id, meta, payload) VALUES (?, ?, ?, ?)'),
    deleteIncoming: db.prepare('DELETE FROM incoming WHERE client_id = ? AND message_id = ?'),
    deleteIncomingOf: db.prepare('DELETE FROM incoming WHERE client_id = ?'),
    putWill: db.prepare('INSERT OR REPLACE INTO wills (client_id, meta, payload) VALUES (?, ?, ?)'),
    deleteWill: db.prepare('DELETE FROM wills WHERE client_id = ?'),
    putSession: db.prepare('INSERT OR REPLACE INTO sessions (client_id, last_seen_ms) VALUES (?, ?)'),
    deleteSession: db.prepare('DELETE FROM sessions WHERE client_id = ?'),
  };
}

type PacketRow = { meta: string; payload: Buffer | null };

function load(db: SqliteDatabase): LoadedSessions {
  const rows = <T>(sql: string) => db.prepare(sql).all() as T[];
  return {
    retained: rows<PacketRow>('SELECT meta, payload FROM retained').map((r) => decodePacket(r.meta, r.payload)),
    subscriptions: rows<{ client_id: string; topic: string; options: string }>('SELECT client_id, topic, options FROM subscriptions').map((r) => ({
      clientId: r.client_id,
      topic: r.topic,
      options: JSON.parse(r.options) as SubscriptionOptions,
    })),
    outgoing: rows<PacketRow & { seq: number; client_id: string }>('SELECT seq, client_id, meta, payload FROM outgoing ORDER BY seq').map((r) => ({
      seq: r.seq,
      clientId: r.client_id,
      packet: decodePacket(r.meta, r.payload),
    })),
    incoming: rows<PacketRow & { client_id: string }>('SELECT client_id, meta, payload FROM incoming').map((r) => ({ clientId: r.client_id, packet: decodePacket(r.meta, r.payload) })),
    wills: rows<PacketRow & { client_id: string }>('SELECT client_id, meta, payload FROM wills').map((r) => ({ clientId: r.client_id, packet: decodePacket(r.meta, r.payload) })),
    sessions: rows<{ client_id: string; last_seen_ms: number }>('SELECT client_id, last_seen_ms FROM sessions').map((r) => ({ clientId: r.client_id, lastSeenMs: r.last_seen_ms })),
  };
}
