// GET /sse?filter=F[&filter=G][&token=T]: Server-Sent Events for clients without WebSocket.
// Events: `subscribed` {granted, refused} first, then `message` {topic, payload (base64), retain}.
// A stream that cannot keep up loses messages (counted) once `maxSessionBytes` of it are unsent or
// the budget shared by all fallback sessions is spent; the stream ends when its connection closes.
import type { FastifyInstance } from 'fastify';
import type { AccessControl } from '../auth/index.ts';
import type { Logger } from '../logger.ts';
import { authenticate, authorizeFilters, filtersOf, filtersProblem, receivedBy } from './access.ts';
import type { LiveConfig } from './config.ts';
import type { Fanout, LiveItem } from './fanout.ts';
import type { LiveMetrics } from './metrics.ts';
import type { ByteBudget } from './queue.ts';
import type { EndReason, LiveSession, SessionRegistry } from './sessions.ts';

export interface SseDeps {
  fanout: Fanout;
  access: Pick<AccessControl, 'authenticateRequest' | 'acl'>;
  log: Logger;
  metrics: LiveMetrics;
  registry: SessionRegistry;
  budget: ByteBudget;
  config: Pick<LiveConfig, 'heartbeatMs' | 'maxSessionBytes'>;
}

export interface SseRoutes {
  close(): Promise<void>;
}

const messagePrefix = 'event: message\ndata: ';

export function registerSseRoute(app: FastifyInstance, deps: SseDeps): SseRoutes {
  const { metrics, budget } = deps;
  const open = new Map<LiveSession, (reason: EndReason) => Promise<void>>();

  app.get('/sse', async (req, reply) => {
    const identity = await authenticate(deps.access, req.headers, (req.query as { token?: string }).token);
    if (!identity) return reply.code(401).send({ error: 'unauthorized', message: 'a valid token is required' });
    const filters = filtersOf(req.query);
    const problem = filtersProblem(filters);
    if (problem) return reply.code(400).send({ error: 'bad_request', message: problem });
    const answer = authorizeFilters(deps.access, identity, filters);

    let ended = false;
    /** bytes written and not yet handed to the socket, all charged to the budget */
    let unsentBytes = 0;
    const sent = (bytes: number) => () => {
      if (ended) return;
      unsentBytes -= bytes;
      budget.release(bytes);
    };
    const session: LiveSession = { subject: identity.subject, transport: 'sse', end: (reason) => void end(reason) };
    if (!deps.registry.admit(session)) {
      metrics.refused('sse');
      return reply.code(503).header('retry-after', '5').send({ error: 'busy', message: 'every live session slot is in use' });
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });

    const subscription = deps.fanout.subscribe(receivedBy(deps.access, identity, (item: LiveItem) => {
      if (ended) return;
      const bytes = messagePrefix.length + item.bytes + 2;
      if (unsentBytes + bytes > deps.config.maxSessionBytes) return metrics.dropped('sse', 'session-queue-full');
      if (!budget.take(bytes)) return metrics.dropped('sse', 'budget');
      unsentBytes += bytes;
      metrics.sessionBytes(unsentBytes);
      res.write(`${messagePrefix}${item.json()}\n\n`, sent(bytes));
    }));
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), deps.config.heartbeatMs);
    async function end(reason: EndReason): Promise<void> {
      if (ended) return;
      ended = true;
      budget.release(unsentBytes);
      unsentBytes = 0;
      clearInterval(heartbeat);
      open.delete(session);
      deps.registry.leave(session);
      metrics.ended('sse', reason);
      await subscription.close();
      res.end();
    }
    open.set(session, end);
    // The response, not the request: a request's 'close' says its body was read, not that the client left.
    res.on('close', () => void end('closed'));
    await subscription.set(answer.granted);
    // Sent once the subscriptions are active, so a client that saw it misses nothing after it.
    if (!ended) res.write(`event: subscribed\ndata: ${JSON.stringify(answer)}\n\n`);
    deps.log.debug({ subject: identity.subject, granted: answer.granted.length, refused: answer.refused.length }, 'sse stream opened');
  });

  return {
    async close() {
      await Promise.all([...open.values()].map((end) => end('shutdown')));
    },
  };
}
