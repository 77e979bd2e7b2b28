// A session that is not a device never takes a device's client id, also after a restart, for a
// device that has not connected since: the ids come from the store and from retained statuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import { retainedStatusIds } from '../../src/api/devices.ts';
import { createKnownDevices, loadKnownDevices } from '../../src/auth/known-devices.ts';
import { adminPassword, connackCode, connect, deviceToken, refusalCount, securedConfig, signToken } from './helpers.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';

test('device ids survive a restart: console, admin, password and anonymous sessions get 0x05', async (t) => {
  const dataDir = tempDirFor(t, 'telemq-takeover-');
  const config = securedConfig({ auth: { anonymousRole: 'console' } });

  const first = await startTestApp(config, { dataDir });
  const device = await connect(first.mqttUrl, { clientId: 'd7', password: await deviceToken('d7') });
  await device.publishAsync('devices/d7/telemetry', '{"t":21.5}', { qos: 1 });
  await device.endAsync();
  // d8 never connected: an admin wrote its telemetry
  const admin = await connect(first.mqttUrl, { clientId: 'root', password: await signToken({ sub: 'root', role: 'admin' }) });
  await admin.publishAsync('devices/d8/telemetry', '{"t":1}', { qos: 1 });
  await admin.endAsync();
  await first.close(); // the bridge flushes to the store on close

  const second = await startTestApp(config, { dataDir });
  t.after(() => second.close());
  const consoleToken = await signToken({ sub: 'ops', role: 'console' });
  const adminToken = await signToken({ sub: 'root', role: 'admin' });
  for (const clientId of ['d7', 'd8']) {
    for (const url of [second.mqttUrl, second.wsUrl]) {
      assert.equal(await connackCode(url, { clientId, password: consoleToken }), 5, `console as ${clientId}`);
      assert.equal(await connackCode(url, { clientId, password: adminToken }), 5, `admin token as ${clientId}`);
    }
    assert.equal(await connackCode(second.mqttUrl, { clientId, username: 'admin', password: adminPassword }), 5, `admin password as ${clientId}`);
    assert.equal(await connackCode(second.mqttUrl, { clientId }), 5, `anonymous as ${clientId}`);
  }
  assert.equal(await refusalCount(second.httpUrl, 'client-id-taken'), 12);
  // the devices themselves still connect, and other ids stay free
  assert.equal(await connackCode(second.mqttUrl, { clientId: 'd7', password: await deviceToken('d7') }), 0);
  assert.equal(await connackCode(second.mqttUrl, { clientId: 'd8', password: await deviceToken('d8') }), 0);
  assert.equal(await connackCode(second.mqttUrl, { clientId: 'ops-console', password: consoleToken }), 0);
});

test('a device with a retained status is known; a status seen live makes it known too', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  const admin = await connect(server.mqttUrl, { clientId: 'root', password: await signToken({ sub: 'root', role: 'admin' }) });
  t.after(() => admin.endAsync(true));
  await admin.publishAsync('devices/s1/status', 'online', { qos: 1, retain: true });
  await admin.publishAsync('devices/s2/status', 'offline', { qos: 1, retain: true });
  await admin.publishAsync('devices/s2/status', '', { qos: 1, retain: true }); // cleared
  assert.deepEqual((await retainedStatusIds(server.app.broker)).sort(), ['s1']);
  // presence heard both statuses as they were published
  assert.equal(await connackCode(server.mqttUrl, { clientId: 's1', password: await signToken({ sub: 'ops', role: 'console' }) }), 5);
});

test('a source that fails at start is retried until it answers', async () => {
  const devices = createKnownDevices();
  const errors: string[] = [];
  let calls = 0;
  let answered!: () => void;
  const recovered = new Promise<void>((resolve) => (answered = resolve));
  const loader = loadKnownDevices(
    devices,
    [
      { name: 'retained', ids: async () => ['a'] },
      {
        name: 'store',
        ids: async () => {
          if (++calls < 3) throw new Error('store down');
          answered();
          return ['b', 'c'];
        },
      },
    ],
    { onError: (source, err) => errors.push(`${source}: ${(err as Error).message}`), retryMs: 10 },
  );
  await loader.ready;
  assert.equal(devices.has('a'), true);
  assert.equal(devices.has('b'), false);
  await recovered;
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual([devices.has('b'), devices.has('c')], [true, true]);
  assert.deepEqual(errors, ['store: store down', 'store: store down']);
  await loader.close();
});

test('start does not wait longer than readyWithinMs for a source that hangs', async () => {
  const devices = createKnownDevices();
  let release!: (ids: string[]) => void;
  const loader = loadKnownDevices(devices, [{ name: 'store', ids: () => new Promise<string[]>((resolve) => (release = resolve)) }], { onError: () => {}, readyWithinMs: 20 });
  await loader.ready;
  assert.equal(devices.size(), 0);
  release(['late']);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(devices.has('late'), true, 'the slow source still loads');
  await loader.close();
});
