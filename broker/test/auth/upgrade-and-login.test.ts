// A token on the WebSocket URL or as the second subprotocol, checked before the upgrade (HTTP 401),
// POST /api/login, and Authorization: Bearer for the HTTP API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { startTestApp } from '../../../test/support/app.ts';
import { connackCode, refusalCount, securedConfig, signToken, adminPassword, upgradeStatus } from './helpers.ts';

test('WebSocket upgrade tokens', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  const good = await signToken({ sub: 'd1', role: 'device' });
  const expired = await signToken({ sub: 'd1', role: 'device', exp: Math.floor(Date.now() / 1000) - 3600 });
  const forged = await signToken({ sub: 'd1', role: 'device' }, { secret: 'not-the-secret-0123456789-abcdefghij' });

  await t.test('bad token in ?token= → HTTP 401 before the upgrade', async () => {
    assert.equal(await upgradeStatus(`${server.wsUrl}?token=${expired}`), 401);
    assert.equal(await upgradeStatus(`${server.wsUrl}?token=${forged}`), 401);
    assert.equal(await upgradeStatus(`${server.wsUrl}?token=garbage`), 401);
  });
  await t.test('bad token as the second subprotocol → HTTP 401 before the upgrade', async () => {
    assert.equal(await upgradeStatus(server.wsUrl, { protocols: ['mqtt', forged] }), 401);
    assert.equal(await upgradeStatus(server.wsUrl, { protocols: ['mqtt', 'garbage'] }), 401);
  });
  await t.test('good token upgrades; no token upgrades and CONNECT decides', async () => {
    assert.equal(await upgradeStatus(`${server.wsUrl}?token=${good}`), 101);
    assert.equal(await upgradeStatus(server.wsUrl, { protocols: ['mqtt', good] }), 101);
    assert.equal(await upgradeStatus(server.wsUrl), 101);
  });
  await t.test('the upgrade token authenticates CONNECT without a password (URL and subprotocol)', async () => {
    assert.equal(await connackCode(`${server.wsUrl}?token=${good}`, { clientId: 'd1' }), 0);
    const viaProtocol = { clientId: 'd1', createWebsocket: (url: string) => new WebSocket(url, ['mqtt', good]) };
    assert.equal(await connackCode(server.wsUrl, viaProtocol as never), 0);
    // the identity still binds the client id
    assert.equal(await connackCode(`${server.wsUrl}?token=${good}`, { clientId: 'd2' }), 5);
  });
  await t.test('refused upgrades are counted', async () => {
    assert.equal(await refusalCount(server.httpUrl, 'upgrade-bad-token'), 5);
  });
});

test('POST /api/login and Bearer tokens', async (t) => {
  const server = await startTestApp(securedConfig({ auth: { loginTokenTtlSec: 120 } }));
  t.after(() => server.close());
  const login = (body: unknown) => fetch(`${server.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  await t.test('a right password gets a short-lived JWT that works in CONNECT and on the API', async () => {
    const res = await login({ username: 'admin', password: adminPassword });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { token: string; expiresAt: number; username: string; role: string };
    assert.equal(body.username, 'admin');
    assert.equal(body.role, 'admin');
    assert.ok(Math.abs(body.expiresAt - (Date.now() + 120_000)) < 5000);
    assert.equal(await connackCode(server.mqttUrl, { clientId: 'admin-ui', password: body.token }), 0);
  });
  await t.test('a wrong password → 401, unknown user → 401, bad body → 400', async () => {
    assert.equal((await login({ username: 'admin', password: 'wrong-one' })).status, 401);
    assert.equal((await login({ username: 'nobody', password: 'whatever-1' })).status, 401);
    assert.equal((await login({ username: 'admin' })).status, 400);
    assert.equal((await login('not an object')).status, 400);
  });
});
