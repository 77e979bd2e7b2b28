// Guessing and lock-out with real MQTT.js clients: attempts are counted before they are checked,
// per address and per user name; valid tokens, remembered passwords and machine secrets still get
// in from a blocked address; scrypt checks are bounded and never hold up a token check.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { openPasswordStore } from '../../src/auth/passwords.ts';
import { startTestApp } from '../../../test/support/app.ts';
import { adminPassword, connackCode, deviceToken, refusalCount, securedConfig } from './helpers.ts';

/** One sample of a Prometheus metric from /metrics: the first of `name` whose labels include `label`. */
async function metric(httpUrl: string, name: string, label = ''): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(label));
  return line ? Number(line.split(' ').pop()) : 0;
}

const scryptHashes = (httpUrl: string) => metric(httpUrl, 'telemq_password_hashes_total', 'scheme="scrypt"');

test('200 parallel guesses from one address: at most the limit are hashed; valid tokens still connect', async (t) => {
  const limit = 20;
  const server = await startTestApp(securedConfig({ logLevel: 'warn', guards: { failedAuthPerIpPerMin: limit } }));
  t.after(() => server.close());
  const users = openPasswordStore(path.join(server.dataDir, 'users.json'), 10);
  const machineSecret = 'm'.repeat(43);
  await users.set('meter-1', 'device', machineSecret, { machineSecret: true });
  // admin connects once before the flood: its verified password is remembered
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'admin-before', username: 'admin', password: adminPassword }), 0);
  const before = await scryptHashes(server.httpUrl);

  // distinct unknown names, so only the per-address limit applies
  const guesses = Array.from({ length: 200 }, (_, i) => connackCode(server.mqttUrl, { clientId: `g${i}`, username: `guess-${i}`, password: `wrong-${i}` }));
  const during = connackCode(server.mqttUrl, { clientId: 'd1', password: await deviceToken('d1') });
  const codes = await Promise.all(guesses);
  assert.equal(await during, 0, 'a valid token connects during the flood');

  const hashed = (await scryptHashes(server.httpUrl)) - before;
  assert.ok(hashed >= 1 && hashed <= limit, `${hashed} guesses hashed, limit ${limit}`);
  assert.equal(codes.filter((c) => c === 4).length, hashed, 'each hashed guess is a bad password (0x04)');
  assert.equal(codes.filter((c) => c === 5).length, 200 - hashed, 'the rest are refused unchecked (0x05)');
  assert.ok((await refusalCount(server.httpUrl, 'failed-auth-rate')) >= 200 - limit);

  // after the flood the address is blocked for password checks, not for valid tokens and cheap secrets
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'd2', password: await deviceToken('d2') }), 0);
  assert.equal(await connackCode(server.wsUrl, { clientId: 'd3', password: await deviceToken('d3') }), 0);
  assert.equal(await connackCode(`${server.wsUrl}?token=${await deviceToken('d4')}`, { clientId: 'd4' }), 0);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'meter-1', username: 'meter-1', password: machineSecret }), 0);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'admin-after', username: 'admin', password: adminPassword }), 0, 'a remembered password');
  // a password never verified from here waits for the window to pass
  await users.set('carol', 'console', 'carol-password-1');
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'carol-1', username: 'carol', password: 'carol-password-1' }), 5);
  assert.equal((await scryptHashes(server.httpUrl)) - before, hashed, 'nothing more was hashed');
});

test('per user name: a few free failures, then one check at a time after a growing back-off', async (t) => {
  const server = await startTestApp(securedConfig({ logLevel: 'warn', guards: { failedAuthPerUserFree: 3, failedAuthUserBackoffMs: 60_000 } }));
  t.after(() => server.close());
  const users = openPasswordStore(path.join(server.dataDir, 'users.json'), 10);
  await users.set('bob', 'console', 'bob-password-1');
  const before = await scryptHashes(server.httpUrl);

  // 50 parallel guesses at one name: only the free ones are hashed
  const codes = await Promise.all(Array.from({ length: 50 }, (_, i) => connackCode(server.mqttUrl, { clientId: `a${i}`, username: 'admin', password: `wrong-${i}` })));
  assert.equal(codes.filter((c) => c === 4).length, 3);
  assert.equal(codes.filter((c) => c === 5).length, 47);
  assert.equal((await scryptHashes(server.httpUrl)) - before, 3);

  // the name backs off even for its right password (not yet remembered) and over HTTP
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'admin-1', username: 'admin', password: adminPassword }), 5);
  const login = await fetch(`${server.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) });
  assert.equal(login.status, 429);
  // another name from the same address is not affected
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'bob-1', username: 'bob', password: 'bob-password-1' }), 0);
  assert.equal((await scryptHashes(server.httpUrl)) - before, 4);
});

test('the verified-credential cache: a reconnect costs no hash; a changed password is checked again', async (t) => {
  const server = await startTestApp(securedConfig({ logLevel: 'warn' }));
  t.after(() => server.close());
  const users = openPasswordStore(path.join(server.dataDir, 'users.json'), 10);
  await users.set('bob', 'console', 'bob-password-1');
  const options = { clientId: 'bob-1', username: 'bob', password: 'bob-password-1' };
  assert.equal(await connackCode(server.mqttUrl, options), 0);
  const hashed = await scryptHashes(server.httpUrl);
  for (let i = 0; i < 3; i++) assert.equal(await connackCode(server.mqttUrl, options), 0);
  assert.equal(await scryptHashes(server.httpUrl), hashed);
  assert.equal(await metric(server.httpUrl, 'telemq_password_cache_hits_total'), 3);
  // a wrong password is not answered from the cache
  assert.equal(await connackCode(server.mqttUrl, { ...options, password: 'bob-password-X' }), 4);

  await users.set('bob', 'console', 'bob-password-2');
  assert.equal(await connackCode(server.mqttUrl, options), 4, 'the old password is refused after passwd');
  assert.equal(await connackCode(server.mqttUrl, { ...options, password: 'bob-password-2' }), 0);
  await users.remove('bob');
  assert.equal(await connackCode(server.mqttUrl, { ...options, password: 'bob-password-2' }), 4, 'refused after remove');

  // a machine secret is checked with one HMAC, never with scrypt
  const before = await scryptHashes(server.httpUrl);
  await users.set('meter-1', 'device', 's'.repeat(43), { machineSecret: true });
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'meter-1', username: 'meter-1', password: 's'.repeat(43) }), 0);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'meter-1', username: 'meter-1', password: 't'.repeat(43) }), 4);
  assert.equal(await scryptHashes(server.httpUrl), before);
});

test('scrypt checks are bounded: the excess is refused with 0x03 and a token check is answered ahead of the queue', async (t) => {
  const server = await startTestApp(
    securedConfig({
      logLevel: 'warn',
      // a slower hash (N = 2^13) so the queue stays full while the token connects
      auth: { scryptCostLog2: 13, passwordCheckConcurrency: 1, passwordCheckMaxQueued: 8 },
      guards: { failedAuthPerIpPerMin: 100_000, maxConnectionsPerIp: 100_000 },
    }),
  );
  t.after(() => server.close());
  const guessCount = 80;
  let checkedAnswers = 0;
  let firstShed: () => void = () => {};
  const saturated = new Promise<void>((resolve) => (firstShed = resolve));
  const guesses = Array.from({ length: guessCount }, (_, i) =>
    connackCode(server.mqttUrl, { clientId: `g${i}`, username: `guess-${i}`, password: 'wrong', connectTimeout: 60_000 }).then((code) => {
      if (code === 4) checkedAnswers++;
      if (code === 3) firstShed();
      return code;
    }),
  );
  // once a guess has been shed the queue is full: the token connects ahead of the waiting checks
  await Promise.race([saturated, Promise.all(guesses)]);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'd1', password: await deviceToken('d1'), connectTimeout: 60_000 }), 0);
  const answeredWhenTokenConnected = checkedAnswers;
  const codes = await Promise.all(guesses);
  const checked = codes.filter((c) => c === 4).length;
  assert.ok(answeredWhenTokenConnected < checked, `the token connected after ${answeredWhenTokenConnected} of ${checked} checked guesses`);
  assert.equal(codes.filter((c) => c === 3).length + checked, guessCount);
  assert.equal(await scryptHashes(server.httpUrl), checked, 'a shed guess costs no hash');
  assert.equal(await refusalCount(server.httpUrl, 'password-check-busy'), guessCount - checked);
});
