// auth.anonymousRole and deny patterns, with real clients: anonymous clients get their role only
// when one is configured, and a deny pattern wins over an allow pattern for exactly what it covers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';
import { parseConfig } from '../../src/config.ts';
import { connackCode, connect, refusalCount, securedConfig, signToken, subackCodes } from './helpers.ts';

const guest = {
  publish: ['public/#'],
  subscribe: ['public/#', 'devices/+/telemetry'],
  denyPublish: ['public/announcements/#'],
  denySubscribe: ['public/private/#', 'devices/vault/telemetry'],
};

test('no anonymousRole: a client without credentials is refused (0x05)', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'anon-1' }), 5);
  assert.equal(await connackCode(server.wsUrl, { clientId: 'anon-2', username: 'someone' }), 5);
  assert.equal(await refusalCount(server.httpUrl, 'no-credentials'), 2);
});

test('anonymousRole: anonymous clients get the role, deny patterns before allow patterns', async (t) => {
  const server = await startTestApp(securedConfig({ auth: { anonymousRole: 'guest', roles: { guest, admin: { publish: ['#'], subscribe: ['#'] }, device: { publish: ['devices/{deviceId}/telemetry'], subscribe: [] } } } }));
  t.after(() => server.close());
  const guestClient = await connect(server.mqttUrl, { clientId: 'clean retained' });
  t.after(() => guestClient.endAsync(true));
  const admin = await connect(server.mqttUrl, { clientId: 'root', password: await signToken({ sub: 'root', role: 'admin' }) });
  t.after(() => admin.endAsync(true));
  const seenByAdmin: string[] = [];
  admin.on('message', (topic) => seenByAdmin.push(topic));
  await admin.subscribeAsync('public/#', { qos: 1 });

  await t.test('a denied filter gets 0x80, and only that filter', async () => {
    const filters = ['public/news', 'public/private/x', 'public/#', 'public/private/#', 'devices/+/telemetry', 'devices/vault/telemetry', 'other/#'];
    assert.deepEqual(await subackCodes(guestClient, filters), [1, 128, 1, 128, 1, 128, 128]);
    assert.equal(guestClient.connected, true);
  });

  await t.test('a wider filter is granted, but brings nothing from the denied topics', async () => {
    const seen: string[] = [];
    guestClient.on('message', (topic) => seen.push(topic));
    await admin.publishAsync('public/private/secret', 'x', { qos: 1 });
    await admin.publishAsync('devices/vault/telemetry', '{"v":1}', { qos: 1 });
    await admin.publishAsync('devices/d1/telemetry', '{"v":1}', { qos: 1 });
    await admin.publishAsync('public/marker', 'm', { qos: 1 });
    await waitFor(() => seen.includes('public/marker') && seen.includes('devices/d1/telemetry'), 5000, 'the marker at the guest');
    assert.ok(!seen.includes('public/private/secret') && !seen.includes('devices/vault/telemetry'), seen.join(' '));
  });

  await t.test('a denied publish is treated like a forbidden one: dropped and counted, still connected', async () => {
    const before = await refusalCount(server.httpUrl, 'forbidden-publish');
    await guestClient.publishAsync('public/announcements/fake', 'x', { qos: 1 });
    await guestClient.publishAsync('public/chat', 'hello', { qos: 1 });
    await waitFor(() => seenByAdmin.includes('public/chat'), 5000, 'the allowed publish');
    assert.ok(!seenByAdmin.includes('public/announcements/fake'));
    assert.equal((await refusalCount(server.httpUrl, 'forbidden-publish')) - before, 1);
    assert.equal(guestClient.connected, true);
  });

  await t.test('anonymous over WebSocket too; bad credentials are still refused, not made anonymous', async () => {
    assert.equal(await connackCode(server.wsUrl, { clientId: 'anon-ws' }), 0);
    assert.equal(await connackCode(server.mqttUrl, { clientId: 'anon-x', username: 'admin', password: 'wrong-password' }), 4);
    assert.equal(await connackCode(server.mqttUrl, { clientId: 'anon-y', password: `${await signToken({ sub: 'root', role: 'admin' })}x` }), 4);
  });

  await t.test('an anonymous client cannot take a device client id', async () => {
    assert.equal(await connackCode(server.mqttUrl, { clientId: 'd5', password: await signToken({ sub: 'd5', role: 'device' }) }), 0);
    assert.equal(await connackCode(server.mqttUrl, { clientId: 'd5' }), 5);
  });
});

test('anonymousRole and patterns are checked at start', () => {
  assert.throws(() => parseConfig({ auth: { anonymousRole: 'nobody' } }), /auth\.anonymousRole: role "nobody" is not in auth\.roles/);
  assert.throws(() => parseConfig({ auth: { anonymousRole: 'device' } }), /auth\.anonymousRole: anonymous clients cannot have the device role/);
  assert.throws(() => parseConfig({ auth: { roles: { r: { publish: ['a/#/b'], subscribe: [] } } } }), /auth\.roles\.r\.publish\.0: "a\/#\/b": # must be alone/);
  assert.throws(() => parseConfig({ auth: { roles: { r: { publish: [], subscribe: [], denySubscribe: ['x+'] } } } }), /denySubscribe/);
  assert.equal(parseConfig({ auth: { anonymousRole: 'console' } }).auth.anonymousRole, 'console');
});
