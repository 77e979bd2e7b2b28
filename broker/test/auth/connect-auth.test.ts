// CONNECT authentication over TCP and WebSocket: each refusal with its exact CONNACK code.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { exportJWK, base64url } from 'jose';
import { startTestApp } from '../../../test/support/app.ts';
import { mosquittoPub } from '../../../test/support/mosquitto-clients.ts';
import { mintToken, type MintOptions } from '../../../test/support/tokens.ts';
import { adminPassword, connackCode, deviceToken, refusalCount, securedConfig, signToken, testSecret } from './helpers.ts';

test('CONNECT authentication (HS256, passwords, device identity)', async (t) => {
  const server = await startTestApp(securedConfig({ auth: { issuer: 'telemq-test', audience: 'fleet' } }));
  t.after(() => server.close());
  const claims = { iss: 'telemq-test', aud: 'fleet' };
  const urls = { tcp: server.mqttUrl, ws: server.wsUrl };

  for (const [transport, url] of Object.entries(urls)) {
    await t.test(`${transport}: a valid device token whose sub is the client id connects`, async () => {
      assert.equal(await connackCode(url, { clientId: 'd1', password: await signToken({ ...claims, sub: 'd1', role: 'device' }) }), 0);
    });
    await t.test(`${transport}: expired token → 0x04`, async () => {
      const token = await signToken({ ...claims, sub: 'd1', role: 'device', exp: Math.floor(Date.now() / 1000) - 120 });
      assert.equal(await connackCode(url, { clientId: 'd1', password: token }), 4);
    });
    await t.test(`${transport}: not-yet-valid token → 0x04`, async () => {
      const token = await signToken({ ...claims, sub: 'd1', role: 'device' }, { notBeforeSec: 600 });
      assert.equal(await connackCode(url, { clientId: 'd1', password: token }), 4);
    });
    await t.test(`${transport}: wrong audience → 0x04`, async () => {
      assert.equal(await connackCode(url, { clientId: 'd1', password: await signToken({ ...claims, aud: 'other', sub: 'd1', role: 'device' }) }), 4);
    });
    await t.test(`${transport}: wrong issuer → 0x04`, async () => {
      assert.equal(await connackCode(url, { clientId: 'd1', password: await signToken({ ...claims, iss: 'evil', sub: 'd1', role: 'device' }) }), 4);
    });
    await t.test(`${transport}: alg none → 0x04`, async () => {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const body = base64url.encode(JSON.stringify({ ...claims, sub: 'd1', role: 'device', exp: Math.floor(Date.now() / 1000) + 600 }));
      assert.equal(await connackCode(url, { clientId: 'd1', password: `${header}.${body}.` }), 4);
    });
    await t.test(`${transport}: wrongly signed token → 0x04`, async () => {
      const token = await signToken({ ...claims, sub: 'd1', role: 'device' }, { secret: 'another-secret-0123456789-abcdefghij' });
      assert.equal(await connackCode(url, { clientId: 'd1', password: token }), 4);
    });
    await t.test(`${transport}: device token with another client id → 0x05`, async () => {
      assert.equal(await connackCode(url, { clientId: 'd2', password: await signToken({ ...claims, sub: 'd1', role: 'device' }) }), 5);
    });
    await t.test(`${transport}: unknown role → 0x05`, async () => {
      assert.equal(await connackCode(url, { clientId: 'x1', password: await signToken({ ...claims, sub: 'x1', role: 'superuser' }) }), 5);
    });
    await t.test(`${transport}: no credentials → 0x05`, async () => {
      assert.equal(await connackCode(url, { clientId: 'anon' }), 5);
    });
    await t.test(`${transport}: wrong user password → 0x04, right one connects`, async () => {
      assert.equal(await connackCode(url, { clientId: 'admin-1', username: 'admin', password: 'wrong-password' }), 4);
      assert.equal(await connackCode(url, { clientId: 'admin-1', username: 'admin', password: adminPassword }), 0);
    });
  }

  await t.test('a console user cannot take a device client id (session takeover) → 0x05', async () => {
    const token = await signToken({ ...claims, sub: 'alice', role: 'console' });
    assert.equal(await connackCode(server.mqttUrl, { clientId: 'd1', password: token }), 5);
    assert.equal(await connackCode(server.mqttUrl, { clientId: 'alice-console', password: token }), 0);
  });

  await t.test('mosquitto_pub with a bad password is refused, with a good token it publishes', async () => {
    await assert.rejects(mosquittoPub({ port: server.ports.mqtt, clientId: 'admin-2', username: 'admin', password: 'nope' }, 'x/y', '1'), /bad user name or password/i);
    await mosquittoPub({ port: server.ports.mqtt, clientId: 'd9', username: 'd9', password: await signToken({ ...claims, sub: 'd9', role: 'device' }) }, 'devices/d9/telemetry', '{"v":1}');
  });

  await t.test('refusals are counted by reason', async () => {
    assert.ok((await refusalCount(server.httpUrl, 'bad-token')) >= 10);
    assert.ok((await refusalCount(server.httpUrl, 'client-id-mismatch')) >= 2);
    assert.ok((await refusalCount(server.httpUrl, 'no-credentials')) >= 2);
  });
});

test('RS256 from a PEM file and ES256 from a JWKS file', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pemServer = await startTestApp(securedConfig());
  t.after(() => pemServer.close());
  const pemFile = path.join(pemServer.dataDir, 'rsa.pem');
  writeFileSync(pemFile, rsa.publicKey.export({ type: 'spki', format: 'pem' }));
  const jwksFile = path.join(pemServer.dataDir, 'keys.jwks');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'k1', alg: 'ES256' }] }));

  const rsaServer = await startTestApp(securedConfig({ auth: { jwtPublicKeyFile: pemFile } }));
  t.after(() => rsaServer.close());
  const ecServer = await startTestApp(securedConfig({ auth: { jwtPublicKeyFile: jwksFile } }));
  t.after(() => ecServer.close());

  const nowSec = Math.floor(Date.now() / 1000);
  const sign = (alg: string, key: MintOptions['key'], kid?: string) => mintToken({ role: 'device', sub: 'd1', exp: nowSec + 600 }, { key, alg, kid, stamp: false });

  assert.equal(await connackCode(rsaServer.mqttUrl, { clientId: 'd1', password: await sign('RS256', rsa.privateKey) }), 0);
  assert.equal(await connackCode(ecServer.wsUrl, { clientId: 'd1', password: await sign('ES256', ec.privateKey, 'k1') }), 0);
  // the HS256 secret keeps working beside a public key (login tokens, the simulator)
  assert.equal(await connackCode(rsaServer.mqttUrl, { clientId: 'd1', password: await deviceToken('d1') }), 0);
  // a token signed by another RSA key, and an ES256 token against the RSA key, are refused
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  assert.equal(await connackCode(rsaServer.mqttUrl, { clientId: 'd1', password: await sign('RS256', other.privateKey) }), 4);
  assert.equal(await connackCode(rsaServer.mqttUrl, { clientId: 'd1', password: await sign('ES256', ec.privateKey) }), 4);
  // HS256 "signed" with the public key as the secret (algorithm confusion) is refused
  const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  assert.equal(await connackCode(rsaServer.mqttUrl, { clientId: 'd1', password: await signToken({ sub: 'd1', role: 'device' }, { secret: pem }) }), 4);
  assert.notEqual(testSecret, pem);
});

test('clock skew is configurable', async (t) => {
  const strict = await startTestApp(securedConfig({ auth: { clockToleranceSec: 0 } }));
  t.after(() => strict.close());
  const lenient = await startTestApp(securedConfig({ auth: { clockToleranceSec: 120 } }));
  t.after(() => lenient.close());
  const token = await signToken({ sub: 'd1', role: 'device', exp: Math.floor(Date.now() / 1000) - 30 });
  assert.equal(await connackCode(strict.mqttUrl, { clientId: 'd1', password: token }), 4);
  assert.equal(await connackCode(lenient.mqttUrl, { clientId: 'd1', password: token }), 0);
});
