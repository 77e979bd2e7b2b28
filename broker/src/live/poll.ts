// GET /api/poll?filter=F[&filter=G][&session=S][&waitMs=N]: long polling for clients without
// WebSocket or EventSource. A session queues messages between requests (bounded in messages and
// bytes, within the budget shared by all fallback sessions); with no request waiting for
// `pollGraceMs` past its last answer it stops receiving, and after `sessionIdleMs` it is forgotten.
// The same session with other filters changes its subscriptions in place.
// POST /api/poll/close?session=S ends a session at once (navigator.sendBeacon on pagehide).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AccessControl } from '../auth/index.ts';
import { topicMatches, type Identity } from '../contract/index.ts';
import type { Logger } from '../logger.ts';
import { authenticate, authorizeFilters, filtersOf, filtersProblem, receivedBy } from './access.ts';
import type { LiveConfig } from './config.ts';
import type { Fanout, FanoutSubscription, LiveItem } from './fanout.ts';
import type { LiveMetrics } from './metrics.ts';
import { createSessionQueue, type ByteBudget, type SessionQueue } from './queue.ts';
import type { EndReason, LiveSession, SessionRegistry } from './sessions.ts';
import type { WireSubscribed } from './wire.ts';

export interface PollDeps {
  fanout: Fanout;
  access: Pick<AccessControl, 'authenticateRequest' | 'acl'>;
  log: Logger;
  metrics: LiveMetrics;
  registry: SessionRegistry;
  budget: ByteBudget;
  config: Pick<LiveConfig, 'maxWaitMs' | 'pollGraceMs' | 'sessionIdleMs' | 'maxSessionMessages' | 'maxSessionBytes'>;
}

interface PollSession extends LiveSession {
  /** an unguessable random capability: knowing it is enough to close the session */
  readonly id: string;
  answer: WireSubscribed;
  filterKey: string;
  /** null once the session has stopped receiving */
  sub: FanoutSubscription | null;
  readonly queue: SessionQueue;
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
      else if (s.sub && nowMs - s.lastAnswerMs > config.pollGraceMs) stopReceiving(s);
    }
  }
  function stopReceiving(s: PollSession): void {
    void s.sub?.close();
    s.sub = null;
    s.gap = true;
    metrics.uncollected('poll', s.queue.clear());
  }
  async function receive(s: PollSession, identity: Identity): Promise<void> {
    const sub = deps.fanout.subscribe(
      receivedBy(deps.access, identity, (item: LiveItem) => {
        s.queue.push(item);
        metrics.sessionBytes(s.queue.bytes);
        s.waiter?.();
      }),
    );
    s.sub = sub;
    await sub.set(s.answer.granted);
  }

  function open(identity: Identity, filters: string[], gap: boolean): PollSession | null {
    const nowMs = Date.now();
    const s: PollSession = {
      id: randomUUID(),
      subject: identity.subject,
      transport: 'poll',
      answer: authorizeFilters(deps.access, identity, filters),
      filterKey: keyOf(filters),
      sub: null,
      queue: createSessionQueue({ maxMessages: config.maxSessionMessages, maxBytes: config.maxSessionBytes, budget: deps.budget }),
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
    void s.sub?.close();
    s.sub = null;
    // A waiting request still answers with what was queued; otherwise nobody will collect it.
    if (s.waiter) s.waiter();
    else metrics.uncollected('poll', s.queue.clear());
  }
  async function refilter(s: PollSession, identity: Identity, filters: string[]): Promise<void> {
    s.answer = authorizeFilters(deps.access, identity, filters);
    s.filterKey = keyOf(filters);
    const { granted } = s.answer;
    s.queue.retain((item) => granted.some((f) => topicMatches(f, item.message.topic)));
    await s.sub?.set(granted);
  }
  function waitForMessage(s: PollSession, waitMs: number, reply: FastifyReply): Promise<void> {
    s.waiter?.(); // an earlier request on this session answers now
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done(): void {
        clearTimeout(timer);
        reply.raw.off('close', done);
        if (s.waiter === done) s.waiter = null;
        resolve();
      }
      s.waiter = done;
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
      if (keyOf(filters) !== s.filterKey) {
        await refilter(s, identity, filters);
        answerNow = true;
      }
    }
    if (!s.sub && !s.ended) {
      await receive(s, identity);
      answerNow = true;
    }
    const waitMs = Math.min(Math.max(Number(query.waitMs) || 0, 0), config.maxWaitMs);
    if (!answerNow && !s.ended && s.queue.length === 0 && waitMs > 0) await waitForMessage(s, waitMs, reply);
    // A client that went away leaves its messages for its next request.
    if (reply.raw.destroyed || !reply.raw.socket || reply.raw.socket.destroyed) return reply.code(204).send();
    return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(answerOf(s));
  });

  function answerOf(s: PollSession): string {
    const { items, dropped } = s.queue.take();
    metrics.droppedTally('poll', dropped);
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
    receiving: () => [...sessions.values()].filter((s) => s.sub).length,
    abandoned() {
      let oldest: PollSession | undefined;
      for (const s of sessions.values()) if (!s.sub && !s.waiter && (!oldest || s.lastSeenMs < oldest.lastSeenMs)) oldest = s;
      return oldest;
    },
    async close() {
      clearInterval(sweep);
      for (const s of [...sessions.values()]) s.end('shutdown');
    },
  };
}
