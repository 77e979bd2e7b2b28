// Client ids: any UTF-8 without control characters, up to guards.maxClientIdLength characters,
// for every role; a device's id stays its token's `sub`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import { adminPassword, connackCode, refusalCount, securedConfig, signToken } from '../auth/helpers.ts';
import { isAcceptableClientId } from '../../src/guards/index.ts';

const accepted = ['clean retained', 'a:b', 'é', '中', '😀-sensor', 'x'.repeat(128), '中'.repeat(128)];
const tooLong = ['x'.repeat(129), '中'.repeat(129)];
const controls = ['tab\there', 'nl\n', 'del\u007f', 'c1\u0085'];

test('client ids: the rule, character by character', () => {
  for (const id of accepted) assert.equal(isAcceptableClientId(id, 128), true, id);
  for (const id of [...tooLong, ...controls]) assert.equal(isAcceptableClientId(id, 128), false, JSON.stringify(id));
  assert.equal(isAcceptableClientId('😀'.repeat(128), 128), true, 'a character outside the BMP counts once');
  assert.equal(isAcceptableClientId('😀'.repeat(129), 128), false);
});

test('client id matrix: console, admin (token and password) and device, TCP and WebSocket', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  const consoleToken = await signToken({ sub: 'ops', role: 'console' });
  const adminToken = await signToken({ sub: 'root', role: 'admin' });

  // Devices last: once a device has connected with an id, other roles may no longer take it.
  for (const [role, options] of [
    ['console', { password: consoleToken }],
    ['admin token', { password: adminToken }],
    ['admin password', { username: 'admin', password: adminPassword }],
  ] as const) {
    await t.test(role, async () => {
      for (const clientId of accepted) assert.equal(await connackCode(server.mqttUrl, { clientId, ...options }), 0, `${role} ${clientId.slice(0, 20)}`);
      assert.equal(await connackCode(server.wsUrl, { clientId: 'clean retained', ...options }), 0);
      // ids that cannot be device ids are fine for sessions that are not devices
      assert.equal(await connackCode(server.mqttUrl, { clientId: 'console/tab+1#', ...options }), 0);
      for (const clientId of [...tooLong, ...controls]) assert.equal(await connackCode(server.mqttUrl, { clientId, ...options }), 2, `${role} ${JSON.stringify(clientId.slice(0, 20))}`);
      assert.equal(await connackCode(server.wsUrl, { clientId: 'x'.repeat(129), ...options }), 2);
    });
  }
  await t.test('device (client id = token sub)', async () => {
    for (const clientId of accepted) {
      assert.equal(await connackCode(server.mqttUrl, { clientId, password: await signToken({ sub: clientId, role: 'device' }) }), 0, clientId.slice(0, 20));
    }
    assert.equal(await connackCode(server.wsUrl, { clientId: 'a:b', password: await signToken({ sub: 'a:b', role: 'device' }) }), 0);
    assert.equal(await connackCode(server.mqttUrl, { clientId: 'x'.repeat(129), password: await signToken({ sub: 'x'.repeat(129), role: 'device' }) }), 2);
    // a device id lands in topics: no level separator or wildcard, whatever the token says
    assert.equal(await connackCode(server.mqttUrl, { clientId: 'a/b', password: await signToken({ sub: 'a/b', role: 'device' }) }), 5);
    assert.equal(await connackCode(server.mqttUrl, { clientId: 'a+b', password: await signToken({ sub: 'a+b', role: 'device' }) }), 5);
  });
  await t.test('refusals counted', async () => {
    assert.equal(await refusalCount(server.httpUrl, 'client-id-invalid'), 3 * (tooLong.length + controls.length + 1) + 1);
  });
});
