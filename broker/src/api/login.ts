// POST /api/login: a user's name and password for a short-lived JWT (LoginRequest → LoginResponse).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AccessControl } from '../auth/index.ts';
import type { ApiError, LoginResponse } from '../contract/index.ts';

const loginRequest = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

export function registerLoginRoute(app: FastifyInstance, access: Pick<AccessControl, 'login'>): void {
  app.post('/api/login', { bodyLimit: 8 * 1024 }, async (req, reply) => {
    const parsed = loginRequest.safeParse(req.body);
    if (!parsed.success) {
      return reply.code(400).send({ error: 'invalid_request', message: 'expected JSON {"username": string, "password": string}' } satisfies ApiError);
    }
    const result = await access.login(parsed.data.username, parsed.data.password, req.socket.remoteAddress ?? 'unknown');
    if (!result.ok) {
      const error = { 429: 'too_many_attempts', 503: 'busy', 404: 'auth_disabled', 401: 'bad_credentials' }[result.status];
      return reply.code(result.status).send({ error, message: result.reason } satisfies ApiError);
    }
    return reply.code(200).send(result.response satisfies LoginResponse);
  });
}
