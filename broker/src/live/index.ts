// The fallbacks for clients without WebSocket: Server-Sent Events (/sse) and long polling
// (/api/poll), both authenticated like the API and confined by the caller's ACL. They share one
// broker subscription per filter, one byte budget and one count of sessions per user; polling
// sessions share one log of recent messages per filter.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { AccessControl } from '../auth/index.ts';
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import type { Logger } from '../logger.ts';
import { liveConfigSchema, type LiveConfig } from './config.ts';
import { createBacklog } from './backlog.ts';
import { createFanout } from './fanout.ts';
import { createLiveMetrics } from './metrics.ts';
import { registerPollRoute, type PollRoutes } from './poll.ts';
import { createByteBudget } from './queue.ts';
import { createSessionRegistry } from './sessions.ts';
import { registerSseRoute } from './sse.ts';

export interface LiveRoutesDeps {
  broker: Pick<MqttBroker, 'subscribe'>;
  access: Pick<AccessControl, 'authenticateRequest' | 'acl'>;
  log: Logger;
  metrics: Registry;
  /** default: every key's default */
  config?: LiveConfig;
}

export interface LiveRoutes {
  close(): Promise<void>;
}

export function registerLiveRoutes(app: FastifyInstance, deps: LiveRoutesDeps): LiveRoutes {
  const config = deps.config ?? liveConfigSchema.parse({});
  const budget = createByteBudget(config.budgetBytes);
  const fanout = createFanout(deps.broker, createBacklog({ maxMessages: config.maxSessionMessages, maxBytes: config.maxSessionBytes, budget }));
  // The registry and the metrics ask the polling routes, which need them first.
  const late: Pick<PollRoutes, 'abandoned' | 'receiving' | 'waiting'> = { abandoned: () => undefined, receiving: () => 0, waiting: () => 0 };
  const registry = createSessionRegistry({ maxSessions: config.maxSessions, maxSessionsPerUser: config.maxSessionsPerUser, abandoned: () => late.abandoned() });
  const metrics = createLiveMetrics(deps.metrics, { budget, registry, receivingPollSessions: () => late.receiving(), waitingPollRequests: () => late.waiting(), filters: fanout.filterCount });
  const shared = { fanout, access: deps.access, log: deps.log, metrics, registry, budget, config };
  const sse = registerSseRoute(app, shared);
  const poll = registerPollRoute(app, shared);
  Object.assign(late, { abandoned: poll.abandoned, receiving: poll.receiving, waiting: poll.waiting });
  return {
    async close() {
      await Promise.all([sse.close(), poll.close()]);
      await fanout.close();
    },
  };
}
