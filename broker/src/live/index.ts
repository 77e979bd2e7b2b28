// The fallbacks for clients without WebSocket: Server-Sent Events (/sse) and long polling
// (/api/poll), both authenticated like the API and confined by the caller's ACL.
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AccessControl } from '../auth/index.ts';
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import type { Logger } from '../logger.ts';
import { registerPollRoute } from './poll.ts';
import { registerSseRoute } from './sse.ts';

export interface LiveRoutesDeps {
  broker: Pick<MqttBroker, 'subscribe'>;
  access: Pick<AccessControl, 'authenticateRequest' | 'acl'>;
  log: Logger;
  metrics: Registry;
}

export interface LiveRoutes {
  close(): Promise<void>;
}

export const liveDefaults = {
  heartbeatMs: 15_000,
  maxBufferedBytes: 1024 * 1024,
  maxWaitMs: 30_000,
  sessionIdleMs: 60_000,
  maxQueuedMessages: 1000,
  maxSessions: 10_000,
} as const;

export function registerLiveRoutes(app: FastifyInstance, deps: LiveRoutesDeps): LiveRoutes {
  const dropped = new Counter({ name: 'telemq_live_dropped_total', help: 'messages dropped for slow SSE streams or full polling queues', labelNames: ['transport'], registers: [deps.metrics] });
  const streams = new Gauge({ name: 'telemq_live_sse_streams', help: 'open Server-Sent Events streams', registers: [deps.metrics] });
  const sessions = new Gauge({ name: 'telemq_live_poll_sessions', help: 'long-polling sessions', registers: [deps.metrics] });
  const sse = registerSseRoute(app, { ...deps, streams, dropped, heartbeatMs: liveDefaults.heartbeatMs, maxBufferedBytes: liveDefaults.maxBufferedBytes });
  const poll = registerPollRoute(app, { ...deps, sessions, dropped, ...liveDefaults });
  return {
    async close() {
      await Promise.all([sse.close(), poll.close()]);
    },
  };
}
