import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface HealthDeps {
  /** reasons the broker is not ready yet (store unreachable, shutting down …); empty when ready */
  notReadyReasons(): string[];
  metrics: Registry;
}

export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const reasons = deps.notReadyReasons();
    return reply.code(reasons.length === 0 ? 200 : 503).send({ status: reasons.length === 0 ? 'ready' : 'not_ready', reasons });
  });
  app.get('/metrics', async (_req, reply) => {
    return reply.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
}
