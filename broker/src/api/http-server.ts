import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from '../logger.ts';

export interface HttpServerOptions {
  log: Logger;
  /** built console (vite build output); not served when absent */
  consoleDir?: string;
  /** https when set */
  https?: { cert: Buffer; key: Buffer } | null;
}

/** The one HTTP server: console, /api/*, health, metrics; WebSocket upgrades are attached to `.server`. */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const common = { loggerInstance: options.log, logController: new LogController({ disableRequestLogging: true }) };
  const app = (options.https ? Fastify({ ...common, https: options.https }) : Fastify(common)) as unknown as FastifyInstance;
  if (options.consoleDir && existsSync(options.consoleDir)) {
    void app.register(fastifyStatic, { root: options.consoleDir, wildcard: false, index: 'index.html' });
    // Single-page app: unknown non-API paths get the console's index.html.
    app.setNotFoundHandler((req, reply) => {
      if (req.method === 'GET' && !req.url.startsWith('/api/')) return reply.sendFile('index.html');
      return reply.code(404).send({ error: 'not_found', message: `${req.method} ${req.url.split('?')[0]} does not exist` });
    });
  }
  return app;
}
