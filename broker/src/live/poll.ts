// GET /api/poll?filter=F[&filter=G][&session=S][&waitMs=N]: long polling for clients without
// WebSocket or EventSource. A session keeps its messages between requests (bounded in messages and
// bytes, within the budget shared by all fallback sessions) as a cursor in each filter's shared log,
// so a session between requests costs nothing per message; with no request waiting for
// `pollGraceMs` past its last answer it stops receiving, and after `sessionIdleMs` it is forgotten.
// The same session with other filters changes its subscriptions in place.
// POST /api/poll/close?session=S ends a session at once (navigator.sendBeacon on pagehide).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AccessControl } from '../auth/index.ts';
import type { Identity } from '../contract/index.ts';
import type { Logger } from '../logger.ts';
import { authenticate, authorizeFilters, filtersOf, filtersProblem, mayReceive } from './access.ts';
import { newestWithin } from './backlog.ts';
import type { LiveConfig } from './config.ts';
import type { Fanout, FanoutReader } from './fanout.ts';
import type { LiveMetrics } from './metrics.ts';
import { noDrops } from './queue.ts';
import type { EndReason, LiveSession, SessionRegistry } from './sessions.ts';
import type { WireSubscribed } from './wire.ts';

export interface PollDeps {
  fanout: Fanout;
  access: Pick<AccessControl, 'authenticateRequest' | 'acl'>;
  log: Logger;
  metrics: LiveMetrics;
  registry: SessionRegistry;
  config: Pick<LiveConfig, 'maxWaitMs' | 'pollBatchMs' | 'pollGraceMs' | 'sessionIdleMs' | 'maxSessionMessages' | 'maxSessionBytes'>;
}

interface PollSession extends LiveSession {
  /** an unguessable random capability: knowing it is enough to close the session */
  readonly id: string;
  /** as of its latest request: what it may receive is checked when its messages are taken */
  identity: Identity;
  answer: WireSubscribed;
  filterKey: string;
  /** its place in its filters' logs; null once the session has stopped receiving */
  reader: FanoutReader | null;
  /** taken when the session ended with a request waiting, for that request */
  last: string | null;
  lastAnswerMs: number;
  lastSeenMs: number;
  waiter: (() => void) | null;
  /** messages may be missing before the next answer */
  gap: boolean;
  ended: boolean;
}

export interface PollRoutes {
  /** sessions still receiving messages */
  receiving(): number;
  /** requests waiting for a message */
  waiting(): number;
  /** the session stopped longest ago, if one has stopped */
  abandoned(): LiveSession | undefined;
  close(): Promise<void>;
}

const keyOf = (filters: readonly string[]) => [...new Set(filters)].sort().join('\n');

export function registerPollRoute(app: FastifyInstance, deps: PollDeps): PollRoutes {
  const { config, metrics } = deps;
  const sessions = new Map<string, PollSession>();
  const sweep = setInterval(() => sweepAt(Date.now()), Math.max(50, Math.min(1000, config.pollGraceMs / 2)));
  sweep.unref();

  function sweepAt(nowMs: number): void {
    for (const s of sessions.values()) {
      if (s.waiter) continue;
      if (nowMs - s.lastSeenMs > config.sessionIdleMs) s.end('idle');
      else if (s.reader && nowMs - s.lastAnswerMs > config.pollGraceMs) stopReceiving(s);
    }
    deps.fanout.compact();
  }
  function stopReceiving(s: PollSession): void {
    s.gap = true;
    leave(s);
  }
  /** stops reading the logs; what it had not collected is counted */
  function leave(s: PollSession): void {
    if (!s.reader) return;
    metrics.uncollected('poll', s.reader.pending());
    void s.reader.close();
    s.reader = null;
  }
  async function receive(s: PollSession): Promise<void> {
    s.reader = deps.fanout.reader();
    await s.reader.set(s.answer.granted);
  }

  function open(identity: Identity, filters: string[], gap: boolean): PollSession | null {
    const nowMs = Date.now();
    const s: PollSession = {
      id: randomUUID(),
      subject: identity.subject,
      transport: 'poll',
      identity,
      answer: authorizeFilters(deps.access, identity, filters),
      filterKey: keyOf(filters),
      reader: null,
      last: null,
      lastAnswerMs: nowMs,
      lastSeenMs: nowMs,
      waiter: null,
      gap,
      ended: false,
      end: (reason: EndReason) => end(s, reason),
    };
    if (!deps.registry.admit(s)) return null;
    sessions.set(s.id, s);
    return s;
  }
  function end(s: PollSession, reason: EndReason): void {
    if (s.ended) return;
    s.ended = true;
    sessions.delete(s.id);
    deps.registry.leave(s);
    metrics.ended('poll', reason);
    // A waiting request still answers with what was held; otherwise nobody will collect it.
    if (s.waiter) {
      s.last = answerOf(s);
      s.waiter();
    }
    leave(s);
  }
  async function refilter(s: PollSession, filters: string[]): Promise<void> {
    s.answer = authorizeFilters(deps.access, s.identity, filters);
    s.filterKey = keyOf(filters);
    // Messages held for filters it keeps stay; a new filter delivers from now on.
    await s.reader?.set(s.answer.granted);
  }
  function waitForMessage(s: PollSession, reader: FanoutReader, waitMs: number, reply: FastifyReply): Promise<void> {
    s.waiter?.(); // an earlier request on this session answers now
    return new Promise<void>((resolve) => {
      let timer = setTimeout(done, waitMs);
      let woken = false;
      function done(): void {
        clearTimeout(timer);
        reply.raw.off('close', done);
        if (s.waiter !== done) return resolve();
        s.waiter = null;
        reader.unwatch();
        resolve();
      }
      s.waiter = done;
      // The first message starts the batch; what comes within pollBatchMs goes in the same answer.
      reader.watch((item) => {
        if (woken || !mayReceive(deps.access, s.identity, item)) return;
        woken = true;
        clearTimeout(timer);
        timer = setTimeout(done, config.pollBatchMs);
      });
      reply.raw.on('close', done);
    });
  }

  app.get('/api/poll', async (req, reply) => {
    const query = req.query as { session?: unknown; waitMs?: string };
    const identity = await authenticate(deps.access, req.headers, undefined);
    if (!identity) return reply.code(401).send({ error: 'unauthorized', message: 'a valid token is required' });
    const filters = filtersOf(req.query);
    const problem = filtersProblem(filters);
    if (problem) return reply.code(400).send({ error: 'bad_request', message: problem });
    const asked = typeof query.session === 'string' ? query.session : undefined;
    const known = asked === undefined ? undefined : sessions.get(asked);
    let s = known?.subject === identity.subject ? known : undefined;
    let answerNow = false;
    if (!s) {
      s = open(identity, filters, asked !== undefined) ?? undefined;
      if (!s) {
        metrics.refused('poll');
        return reply.code(503).header('retry-after', '5').send({ error: 'busy', message: 'every live session slot is in use' });
      }
      answerNow = true;
    } else {
      s.lastSeenMs = Date.now();
      s.identity = identity;
      if (keyOf(filters) !== s.filterKey) {
        await refilter(s, filters);
        answerNow = true;
      }
    }
    if (!s.reader && !s.ended) {
      await receive(s);
      answerNow = true;
    }
    const waitMs = Math.min(Math.max(Number(query.waitMs) || 0, 0), config.maxWaitMs);
    if (!answerNow && s.reader && s.reader.pending() === 0 && waitMs > 0) await waitForMessage(s, s.reader, waitMs, reply);
    // A client that went away leaves its messages for its next request.
    if (reply.raw.destroyed || !reply.raw.socket || reply.raw.socket.destroyed) return reply.code(204).send();
    return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(s.last ?? answerOf(s));
  });

  function answerOf(s: PollSession): string {
    const taken = s.reader?.take() ?? { items: [], lost: noDrops() };
    const { lost: dropped } = taken;
    const items = newestWithin(taken.items.filter((i) => mayReceive(deps.access, s.identity, i)), config.maxSessionMessages, config.maxSessionBytes, dropped);
    metrics.droppedTally('poll', dropped);
    metrics.sessionBytes(items.reduce((n, i) => n + i.bytes, 0));
    const gap = s.gap;
    s.gap = false;
    s.lastAnswerMs = s.lastSeenMs = Date.now();
    // The messages' JSON is made once and shared by every session that sends them.
    const head = JSON.stringify({ session: s.id, granted: s.answer.granted, refused: s.answer.refused, dropped: dropped.budget + dropped['session-queue-full'], ...(gap ? { gap } : {}) });
    return `${head.slice(0, -1)},"messages":[${items.map((i) => i.json()).join(',')}]}`;
  }

  app.register(async (scope) => {
    // navigator.sendBeacon sends whatever body and content type the page chose: none is read.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 4096 }, (_req, _body, done) => done(null, undefined));
    scope.post('/api/poll/close', async (req, reply) => {
      const id = (req.query as { session?: unknown }).session;
      if (typeof id === 'string') sessions.get(id)?.end('closed');
      return reply.code(204).header('cache-control', 'no-store').send();
    });
  });

  return {
    receiving: () => [...sessions.values()].filter((s) => s.reader).length,
    waiting: () => [...sessions.values()].filter((s) => s.waiter).length,
    abandoned() {
      let oldest: PollSession | undefined;
      for (const s of sessions.values()) if (!s.reader && !s.waiter && (!oldest || s.lastSeenMs < oldest.lastSeenMs)) oldest = s;
      return oldest;
    },
    async close() {
      clearInterval(sweep);
      for (const s of [...sessions.values()]) s.end('shutdown');
    },
  };
}
