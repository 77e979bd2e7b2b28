// Authentication for the HTTP API in one place. A route declares what it needs in its config and
// the onRequest hook below enforces it before the handler runs:
//
//   app.get('/api/things', { config: { auth: 'user' } }, async (req) => {
//     const identity = identityOf(req); // set by the hook
//     ...
//   });
//
//   'none'  (the default) no token: login, health, metrics, the console's files; the live fallbacks
//           (/sse, /api/poll) also accept ?token= and check it themselves
//   'user'  a valid `Authorization: Bearer <jwt>` of a known role, else 401
//   'admin' the same with role admin, else 403
//
// Routes written with the older inline check (`authenticateRequest` then a 401 reply) convert to
// this by declaring `config: { auth: 'user' }` and reading `identityOf(req)`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessControl } from '../auth/index.ts';
import type { ApiError, Identity } from '../contract/index.ts';

export type RouteAuth = 'none' | 'user' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** what the caller must prove (api/auth-hook.ts); default 'none' */
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    /** the caller, for routes declaring auth 'user' or 'admin'; null otherwise */
    identity: Identity | null;
  }
}

const unauthorized: ApiError = { error: 'unauthorized', message: 'a valid bearer token is required' };
const forbidden: ApiError = { error: 'forbidden', message: 'this needs the admin role' };

/** Installs the hook; call before registering the routes. */
export function registerAuthHook(app: FastifyInstance, access: Pick<AccessControl, 'authenticateRequest'>): void {
  app.decorateRequest('identity', null);
  app.addHook('onRequest', async (req, reply) => {
    const needs = req.routeOptions.config.auth ?? 'none';
    if (needs === 'none') return;
    const identity = await access.authenticateRequest(req.headers);
    if (!identity) return reply.code(401).send(unauthorized);
    if (needs === 'admin' && identity.role !== 'admin') return reply.code(403).send(forbidden);
    req.identity = identity;
  });
}

/** The caller of a route that declared auth 'user' or 'admin'. */
export function identityOf(req: FastifyRequest): Identity {
  if (!req.identity) throw new Error(`${req.method} ${req.routeOptions.url ?? req.url} reads the identity without declaring config.auth`);
  return req.identity;
}
