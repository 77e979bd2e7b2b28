// The ACL checks of the history and devices routes, against the AccessControl interface: a console
// user may read any device, a device only itself, no token nothing. (The routes module alone, with
// an interface-shaped access stub and an in-memory embedded store.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { registerAuthHook } from '../../src/api/auth-hook.ts';
import type { Presence } from '../../src/api/devices.ts';
import { registerDevicesRoutes } from '../../src/api/devices.ts';
import { registerHistoryRoutes } from '../../src/api/history.ts';
import type { AccessControl } from '../../src/auth/index.ts';
import { topicMatches, type Identity } from '../../src/contract/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.ts';
import { defaultSchema } from '../../src/stores/types.ts';

const tokens: Record<string, Identity> = {
  console: { subject: 'alice', role: 'console' },
  d1: { subject: 'd1', role: 'device' },
};

/** Shaped like the ACL the DESIGN describes: devices get devices/{deviceId}/#, consoles devices/#. */
const access: Pick<AccessControl, 'authenticateRequest' | 'acl'> = {
  authenticateRequest: async (headers) => tokens[String(headers.authorization).replace(/^Bearer /, '')] ?? null,
  acl: {
    canPublish: () => false,
    canSubscribe: (identity, filter) => topicMatches(identity.role === 'device' ? `devices/${identity.subject}/#` : 'devices/#', filter),
  },
};

test('history and devices answer only what the caller may subscribe to', async (t) => {
  const store = createSqliteStore({ file: ':memory:', retentionDays: 30, schema: defaultSchema, log: createLogger('silent') });
  const T = Date.now() - 60_000;
  await store.write(['d1', 'd2'].map((d) => ({ measurement: 'telemetry', tags: { device_id: d }, fields: { temp: 1 }, timestampMs: T })));
  const presence: Presence = { status: () => undefined, deviceIds: () => [], close: async () => {} };
  const app = Fastify();
  registerAuthHook(app, access);
  registerHistoryRoutes(app, { store, access });
  registerDevicesRoutes(app, { store, presence, access });
  t.after(async () => {
    await app.close();
    await store.close();
  });
  const get = async (url: string, token?: string) => {
    const res = await app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };
  const history = (device: string) => `/api/history?device=${device}&field=temp&from=${T - 1}&to=${T + 1}`;

  assert.equal((await get(history('d1'))).status, 401);
  assert.equal((await get(history('d1'), 'forged')).status, 401);
  assert.equal((await get('/api/devices')).status, 401);

  const own = await get(history('d1'), 'd1');
  assert.equal(own.status, 200);
  assert.deepEqual(own.body.points, [{ t: T, v: 1 }]);
  const other = await get(history('d2'), 'd1');
  assert.equal(other.status, 403);
  assert.equal(other.body.error, 'forbidden');
  assert.equal((await get(history('d2'), 'console')).status, 200);

  const asDevice = await get('/api/devices', 'd1');
  assert.deepEqual((asDevice.body.devices as Array<{ deviceId: string }>).map((d) => d.deviceId), ['d1']);
  const asConsole = await get('/api/devices', 'console');
  assert.deepEqual((asConsole.body.devices as Array<{ deviceId: string }>).map((d) => d.deviceId), ['d1', 'd2']);
});
