// GET /sse?filter=F[&filter=G][&token=T]: Server-Sent Events for clients without WebSocket.
// Events: `subscribed` {granted, refused} first, then `message` {topic, payload (base64), retain}.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Counter, Gauge } from 'prom-client';
import type { AccessControl } from '../auth/index.ts';
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import type { Logger } from '../logger.ts';
import { authenticate, authorizeFilters, filtersOf, filtersProblem, receivedBy } from './access.ts';
import { subscribeAll, type Subscriber } from './subscriber.ts';
import { toWire } from './wire.ts';

export interface SseDeps {
  broker: Pick<MqttBroker, 'subscribe'>;
  access: Pick<AccessControl, 'authenticateRequest' | 'acl'>;
  log: Logger;
  streams: Gauge;
  dropped: Counter;
  heartbeatMs: number;
  /** bytes buffered for one slow stream before its messages are dropped */
  maxBufferedBytes: number;
}

export interface SseRoutes {
  close(): Promise<void>;
}

export function registerSseRoute(app: FastifyInstance, deps: SseDeps): SseRoutes {
  const open = new Set<{ reply: FastifyReply; end: () => Promise<void> }>();

  app.get('/sse', async (req, reply) => {
    const identity = await authenticate(deps.access, req.headers, (req.query as { token?: string }).token);
    if (!identity) return reply.code(401).send({ error: 'unauthorized', message: 'a valid token is required' });
    const filters = filtersOf(req.query);
    const problem = filtersProblem(filters);
    if (problem) return reply.code(400).send({ error: 'bad_request', message: problem });
    const answer = authorizeFilters(deps.access, identity, filters);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const write = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

    let ended = false;
    const subscribing: Promise<Subscriber> = subscribeAll(deps.broker, answer.granted, receivedBy(deps.access, identity, (m) => {
      if (ended) return;
      // A stream that cannot keep up loses messages (counted) rather than growing without bound.
      if (res.writableLength > deps.maxBufferedBytes) return deps.dropped.inc({ transport: 'sse' });
      write('message', toWire(m));
    }));
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), deps.heartbeatMs);
    const entry = {
      reply,
      end: async () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        open.delete(entry);
        deps.streams.dec();
        await (await subscribing).close();
        res.end();
      },
    };
    open.add(entry);
    deps.streams.inc();
    req.raw.on('close', () => void entry.end());
    await subscribing;
    // Sent once the subscriptions are active, so a client that saw it misses nothing after it.
    if (!ended) write('subscribed', answer);
    deps.log.debug({ subject: identity.subject, granted: answer.granted.length, refused: answer.refused.length }, 'sse stream opened');
  });

  return {
    async close() {
      await Promise.all([...open].map((e) => e.end()));
    },
  };
}
