// GET /api/poll?filter=F[&filter=G][&session=S][&waitMs=N]: long polling for clients without
// WebSocket or EventSource. A session buffers messages between requests (bounded, oldest dropped
// and counted) and is forgotten after `sessionIdleMs` without a request.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Counter, Gauge } from 'prom-client';
import type { AccessControl } from '../auth/index.ts';
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import type { Identity } from '../contract/index.ts';
import type { Logger } from '../logger.ts';
import { authenticate, authorizeFilters, filtersOf, filtersProblem, receivedBy } from './access.ts';
import { subscribeAll, type Subscriber } from './subscriber.ts';
import { toWire, type WireMessage, type WirePollResponse, type WireSubscribed } from './wire.ts';

export interface PollDeps {
  broker: Pick<MqttBroker, 'subscribe'>;
  access: Pick<AccessControl, 'authenticateRequest' | 'acl'>;
  log: Logger;
  sessions: Gauge;
  dropped: Counter;
  maxWaitMs: number;
  sessionIdleMs: number;
  maxQueuedMessages: number;
  maxSessions: number;
}

interface Session {
  id: string;
  subject: string;
  filterKey: string;
  answer: WireSubscribed;
  subscriber: Subscriber | null;
  queue: WireMessage[];
  dropped: number;
  lastSeenMs: number;
  wake: (() => void) | null;
}

export interface PollRoutes {
  close(): Promise<void>;
}

export function registerPollRoute(app: FastifyInstance, deps: PollDeps): PollRoutes {
  const sessions = new Map<string, Session>();
  const sweep = setInterval(() => void expire(Date.now()), Math.max(1000, deps.sessionIdleMs / 2));

  async function expire(nowMs: number): Promise<void> {
    for (const s of sessions.values()) if (!s.wake && nowMs - s.lastSeenMs > deps.sessionIdleMs) await drop(s);
  }
  async function drop(s: Session): Promise<void> {
    sessions.delete(s.id);
    deps.sessions.dec();
    s.wake?.();
    await s.subscriber?.close();
  }

  async function sessionFor(identity: Identity, id: string | undefined, filters: string[]): Promise<Session> {
    const filterKey = [...new Set(filters)].sort().join('\n');
    const existing = id ? sessions.get(id) : undefined;
    if (existing && existing.subject === identity.subject && existing.filterKey === filterKey) return existing;
    if (existing && existing.subject === identity.subject) await drop(existing);
    if (sessions.size >= deps.maxSessions) await expire(Infinity);
    const answer = authorizeFilters(deps.access, identity, filters);
    const s: Session = { id: randomUUID(), subject: identity.subject, filterKey, answer, subscriber: null, queue: [], dropped: 0, lastSeenMs: Date.now(), wake: null };
    sessions.set(s.id, s);
    deps.sessions.inc();
    s.subscriber = await subscribeAll(deps.broker, answer.granted, receivedBy(deps.access, identity, (m) => {
      if (s.queue.length >= deps.maxQueuedMessages) {
        s.queue.shift();
        s.dropped += 1;
        deps.dropped.inc({ transport: 'poll' });
      }
      s.queue.push(toWire(m));
      s.wake?.();
    }));
    return s;
  }

  app.get('/api/poll', async (req, reply) => {
    const query = req.query as { session?: string; waitMs?: string };
    const identity = await authenticate(deps.access, req.headers, undefined);
    if (!identity) return reply.code(401).send({ error: 'unauthorized', message: 'a valid token is required' });
    const filters = filtersOf(req.query);
    const problem = filtersProblem(filters);
    if (problem) return reply.code(400).send({ error: 'bad_request', message: problem });
    const s = await sessionFor(identity, query.session, filters);
    const fresh = s.id !== query.session;
    const waitMs = Math.min(Math.max(Number(query.waitMs) || 0, 0), deps.maxWaitMs);
    if (!fresh && s.queue.length === 0 && waitMs > 0) {
      s.wake?.();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        function done(): void {
          clearTimeout(timer);
          if (s.wake === done) s.wake = null;
          resolve();
        }
        s.wake = done;
        req.raw.on('close', done);
      });
    }
    s.lastSeenMs = Date.now();
    const body: WirePollResponse = { session: s.id, ...s.answer, messages: s.queue.splice(0), dropped: s.dropped };
    s.dropped = 0;
    return reply.header('cache-control', 'no-store').send(body);
  });

  return {
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map(drop));
    },
  };
}
