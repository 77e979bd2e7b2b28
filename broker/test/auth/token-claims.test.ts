// Token time claims: `exp` is required unless auth.allowTokensWithoutExp, and a token issued
// (`iat`) or valid from (`nbf`) further in the future than auth.clockToleranceSec is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JWTPayload } from 'jose';
import { startTestApp } from '../../../test/support/app.ts';
import { mintToken } from '../../../test/support/tokens.ts';
import { createTokenService } from '../../src/auth/tokens.ts';
import { connackCode, refusalCount, securedConfig, testSecret } from './helpers.ts';

const nowSec = () => Math.floor(Date.now() / 1000);
/** Exactly these claims, nothing added. */
const sign = (claims: JWTPayload) => mintToken(claims, { key: testSecret, stamp: false });

test('the token service: exp required, iat and nbf not in the future', async () => {
  const strict = createTokenService({ secret: testSecret, clockToleranceSec: 30 });
  const lenient = createTokenService({ secret: testSecret, clockToleranceSec: 30, allowTokensWithoutExp: true });
  const base = { sub: 'd1', role: 'device' };
  const noExp = await sign({ ...base, iat: nowSec() });
  assert.deepEqual(await strict.verify(noExp), { ok: false, reason: 'token_without_exp' });
  assert.equal((await lenient.verify(noExp)).ok, true);
  const exp = nowSec() + 600;
  assert.deepEqual(await strict.verify(await sign({ ...base, exp, iat: nowSec() + 600 })), { ok: false, reason: 'token_not_yet_valid' });
  assert.deepEqual(await lenient.verify(await sign({ ...base, iat: nowSec() + 600 })), { ok: false, reason: 'token_not_yet_valid' });
  assert.deepEqual(await strict.verify(await sign({ ...base, exp, nbf: nowSec() + 600 })), { ok: false, reason: 'token_not_yet_valid' });
  // within the tolerance, a clock slightly ahead is fine
  assert.equal((await strict.verify(await sign({ ...base, exp, iat: nowSec() + 10, nbf: nowSec() + 10 }))).ok, true);
  assert.equal((await strict.verify(await sign({ ...base, exp }))).ok, true, 'iat is optional');
});

test('over MQTT: a token without exp or issued in the future gets 0x04', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  const lenient = await startTestApp(securedConfig({ auth: { allowTokensWithoutExp: true } }));
  t.after(() => lenient.close());
  const noExp = await sign({ sub: 'd1', role: 'device', iat: nowSec() });
  const future = await sign({ sub: 'd1', role: 'device', iat: nowSec() + 3600, exp: nowSec() + 7200 });
  const good = await sign({ sub: 'd1', role: 'device', iat: nowSec(), exp: nowSec() + 600 });

  for (const url of [server.mqttUrl, server.wsUrl]) {
    assert.equal(await connackCode(url, { clientId: 'd1', password: noExp }), 4, `${url} without exp`);
    assert.equal(await connackCode(url, { clientId: 'd1', password: future }), 4, `${url} iat in the future`);
    assert.equal(await connackCode(url, { clientId: 'd1', password: good }), 0);
  }
  assert.equal(await connackCode(lenient.mqttUrl, { clientId: 'd1', password: noExp }), 0);
  assert.equal(await connackCode(lenient.mqttUrl, { clientId: 'd1', password: future }), 4);
  assert.equal(await refusalCount(server.httpUrl, 'bad-token'), 4);
  // the HTTP API checks tokens the same way
  assert.equal((await fetch(`${server.httpUrl}/api/devices`, { headers: { authorization: `Bearer ${await sign({ sub: 'ops', role: 'console', iat: nowSec() })}` } })).status, 401);
});
