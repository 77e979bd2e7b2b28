// The API's one authentication hook: routes declare config.auth and the hook enforces it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { identityOf, registerAuthHook } from '../../src/api/auth-hook.ts';
import type { Identity } from '../../src/contract/index.ts';

const identities: Record<string, Identity> = { console: { subject: 'alice', role: 'console' }, admin: { subject: 'root', role: 'admin' } };

test("a route's config.auth decides: none, user (401 without a valid token), admin (403 for another role)", async (t) => {
  const app = Fastify();
  t.after(() => app.close());
  let checks = 0;
  registerAuthHook(app, {
    async authenticateRequest(headers) {
      checks++;
      return identities[headers.authorization?.replace('Bearer ', '') ?? ''] ?? null;
    },
  });
  app.get('/open', async (req) => ({ identity: req.identity }));
  app.get('/user', { config: { auth: 'user' } }, async (req) => identityOf(req));
  app.get('/admin', { config: { auth: 'admin' } }, async (req) => identityOf(req));
  app.get('/undeclared', async (req) => identityOf(req));
  const get = async (url: string, token?: string) => {
    const res = await app.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, body: res.json() as unknown };
  };

  assert.deepEqual(await get('/open'), { status: 200, body: { identity: null } });
  assert.equal(checks, 0, "an 'none' route checks no token");
  assert.deepEqual(await get('/user'), { status: 401, body: { error: 'unauthorized', message: 'a valid bearer token is required' } });
  assert.equal((await get('/user', 'forged')).status, 401);
  assert.deepEqual(await get('/user', 'console'), { status: 200, body: identities.console });
  assert.equal((await get('/admin')).status, 401);
  assert.deepEqual((await get('/admin', 'console')).body, { error: 'forbidden', message: 'this needs the admin role' });
  assert.equal((await get('/admin', 'console')).status, 403);
  assert.deepEqual(await get('/admin', 'admin'), { status: 200, body: identities.admin });
  assert.equal((await get('/undeclared', 'admin')).status, 500, 'reading the identity without declaring auth is a bug, not an anonymous caller');
});
