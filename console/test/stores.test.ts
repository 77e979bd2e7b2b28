import { flushPromises } from '@vue/test-utils';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import type { Api } from '../src/api/http.ts';
import { fakeApi, installServices } from './install-services.ts';
import { useBrokerStore } from '../src/stores/broker.ts';
import { useFleetStore } from '../src/stores/fleet.ts';
import { useLiveStore } from '../src/stores/live.ts';
import { useSessionStore } from '../src/stores/session.ts';
import { createFakeSource, fakeJwt, memoryStorage, type FakeSource } from './fake-source.ts';

let source: FakeSource;
let api: Api;

beforeEach(() => {
  source = createFakeSource();
  api = fakeApi({
    login: vi.fn(async (r) => ({ token: fakeJwt({ sub: r.username, role: 'console', exp: Date.now() / 1000 + 3600 }), expiresAt: Date.now() + 3_600_000, username: r.username, role: 'console' })),
    devices: vi.fn(async () => ({ devices: [{ deviceId: 'd9', status: 'offline' as const, lastSeen: 5, latest: { temp: 1 } }] })),
  });
  installServices({ createApi: () => api, createSource: () => source, storage: memoryStorage() });
});

describe('session', () => {
  test('login keeps the token and the user', async () => {
    const session = useSessionStore();
    await session.login('alice', 'pw');
    expect(session.isLoggedIn).toBe(true);
    expect(session.username).toBe('alice');
    session.logout();
    expect(session.token).toBeNull();
  });

  test('a pasted JWT: subject and expiry come from its claims', () => {
    const session = useSessionStore();
    const exp = Math.floor(Date.now() / 1000) + 60;
    session.useToken(` ${fakeJwt({ sub: 'ops', role: 'admin', exp })} `);
    expect(session.username).toBe('ops');
    expect(session.role).toBe('admin');
    expect(session.expiresAtMs).toBe(exp * 1000);
  });

  test('an expired token returns to login with a message', () => {
    vi.useFakeTimers();
    try {
      const session = useSessionStore();
      session.useToken(fakeJwt({ sub: 'ops', exp: Math.floor(Date.now() / 1000) + 2 }));
      expect(session.isLoggedIn).toBe(true);
      vi.advanceTimersByTime(2500);
      expect(session.isLoggedIn).toBe(false);
      expect(session.message).toMatch(/expired/);
    } finally {
      vi.useRealTimers();
    }
  });

  test('a malformed token says it is malformed, not expired', () => {
    const session = useSessionStore();
    expect(() => session.useToken('eyJhbGciOi')).toThrow(/not a token/);
    expect(() => session.useToken('abc.def.ghi')).toThrow(/malformed/);
    expect(session.isLoggedIn).toBe(false);
    // Other text is tried (auth may be off); refused by the broker, it is called "not a token".
    const live = useLiveStore();
    session.useToken('opaque-text');
    live.start();
    source.setState({ kind: 'unauthorized', reason: 'Connection refused: Bad username or password' });
    expect(session.isLoggedIn).toBe(false);
    expect(session.message).toMatch(/not a token/);
    session.refused();
    expect(session.message).toMatch(/not a token/);
    // a well-formed token refused later is reported as refused, not malformed
    session.useToken(fakeJwt({ sub: 'ops' }));
    session.refused();
    expect(session.message).toMatch(/expired or was revoked/);
  });

  test('a token already expired is not accepted', () => {
    const session = useSessionStore();
    session.useToken(fakeJwt({ sub: 'ops', exp: 1 }));
    expect(session.isLoggedIn).toBe(false);
    expect(session.message).toMatch(/expired/);
  });
});

describe('live', () => {
  test('the broker refusing the credentials ends the session', () => {
    const session = useSessionStore();
    session.useToken(fakeJwt({ sub: 'ops' }));
    const live = useLiveStore();
    live.start();
    expect(live.state.kind).toBe('connected');
    source.setState({ kind: 'unauthorized', reason: 'Connection refused: Bad username or password' });
    expect(session.isLoggedIn).toBe(false);
    expect(session.message).toMatch(/refused/);
  });
});

describe('a refused WebSocket handshake', () => {
  test('asks the API whether the token still works; a 401 there ends the session', async () => {
    installServices({
      createApi: (deps) => ({
        ...api,
        devices: async () => {
          deps.onUnauthorized('token expired');
          throw new Error('401');
        },
      }),
      createSource: () => source,
      storage: memoryStorage(),
    });
    const session = useSessionStore();
    session.useToken(fakeJwt({ sub: 'ops' }));
    useLiveStore().start();
    source.setState({ kind: 'reconnecting', attempt: 1, retryAtMs: Date.now() + 1000, reason: 'connection failed' });
    await flushPromises();
    expect(session.isLoggedIn).toBe(false);
    expect(session.message).toMatch(/expired or was revoked/);
  });
});

describe('fleet', () => {
  test('presence, last seen, latest values, counts and filters, merged with /api/devices', async () => {
    const session = useSessionStore();
    session.useToken(fakeJwt({ sub: 'ops' }));
    useLiveStore().start();
    const fleet = useFleetStore();
    await fleet.start();
    await flushPromises();
    expect(source.subscribed).toEqual(['devices/+/status', 'devices/+/telemetry']);
    source.deliver('devices/d1/status', 'online');
    source.deliver('devices/d2/status', 'offline');
    const t0 = Date.now() - 1000;
    source.deliver('devices/d1/telemetry', JSON.stringify({ temp: 20, ts: t0 }));
    source.deliver('devices/d1/telemetry', JSON.stringify({ temp: 21, hum: 3, ts: t0 + 1000 }));
    source.deliver('devices/d1/commands/ping', '{}');
    fleet.flush();
    expect(fleet.devices.map((d) => [d.deviceId, d.status, d.lastSeen, d.intervalMs, d.presence])).toEqual([
      ['d1', 'online', t0 + 1000, 1000, 'online'],
      ['d2', 'offline', null, null, 'offline'],
      ['d9', 'offline', 5, null, 'offline'],
    ]);
    expect(fleet.devices[0]!.latest).toEqual({ temp: 21, hum: 3 });
    expect(fleet.counts).toEqual({ online: 1, offline: 2, stale: 0, unknown: 0, total: 3 });
    // The console loses its connection: nothing it shows is current any more.
    source.setState({ kind: 'reconnecting', attempt: 1, retryAtMs: Date.now() + 1000, reason: 'connection lost' });
    await flushPromises();
    fleet.flush();
    expect(fleet.counts).toEqual({ online: 0, offline: 0, stale: 3, unknown: 0, total: 3 });
    source.setState({ kind: 'connected' });
    await flushPromises();
    fleet.flush();
    fleet.statusFilter = 'offline';
    expect(fleet.visible.map((d) => d.deviceId)).toEqual(['d2', 'd9']);
    fleet.search = '9';
    expect(fleet.visible.map((d) => d.deviceId)).toEqual(['d9']);
    fleet.stop();
    expect(source.unsubscribed).toEqual(['devices/+/status', 'devices/+/telemetry']);
  });

  test('only devices that changed get a new row object; pages of 50', async () => {
    useSessionStore().useToken(fakeJwt({ sub: 'ops' }));
    useLiveStore().start();
    const fleet = useFleetStore();
    await fleet.start();
    for (let i = 1; i <= 120; i++) source.deliver(`devices/d${i}/status`, 'online');
    fleet.flush();
    const before = fleet.devices;
    source.deliver('devices/d7/telemetry', '{"v":1}');
    fleet.flush();
    const changed = fleet.devices.filter((d, i) => d !== before[i]).map((d) => d.deviceId);
    expect(changed).toEqual(['d7']);
    expect(fleet.pageCount).toBe(3);
    expect(fleet.visible.map((d) => d.deviceId).slice(0, 3)).toEqual(['d1', 'd2', 'd3']);
    fleet.page = 2;
    expect(fleet.visible).toHaveLength(20);
    expect(fleet.visible[0]!.deviceId).toBe('d101');
  });

  test('a burst of messages is published to the view once per flush', async () => {
    useSessionStore().useToken(fakeJwt({ sub: 'ops' }));
    useLiveStore().start();
    const fleet = useFleetStore();
    await fleet.start();
    fleet.flush();
    const before = fleet.devices;
    for (let i = 0; i < 1000; i++) source.deliver(`devices/d${i % 200}/telemetry`, `{"v":${i}}`);
    expect(fleet.devices).toBe(before);
    expect(before).toHaveLength(1);
    fleet.flush();
    expect(fleet.devices).toHaveLength(200);
  });
});

describe('broker page', () => {
  test('$SYS counters become rates; metrics give lag, spool and drops by reason', async () => {
    useSessionStore().useToken(fakeJwt({ sub: 'ops' }));
    useLiveStore().start();
    api.metricsText = vi.fn(async () =>
      [
        '# HELP telemq_bridge_lag_seconds Age of the oldest point not yet written',
        'telemq_bridge_lag_seconds{app="telemq"} 0.25',
        'telemq_bridge_points_spooled_total{app="telemq"} 12',
        'telemq_bridge_spool_bytes{app="telemq"} 4096',
        'telemq_clients_connected{app="telemq"} 9',
        'telemq_messages_dropped_total{app="telemq",reason="queue_full"} 3',
        'telemq_messages_dropped_total{app="telemq",reason="rate"} 2',
        'telemq_bridge_messages_dead_lettered_total{app="telemq",reason="undecodable"} 4',
        'telemq_live_dropped_total{app="telemq",transport="sse"} 1',
      ].join('\n'),
    );
    const broker = useBrokerStore();
    broker.start();
    await flushPromises();
    const enc = (s: string) => new TextEncoder().encode(s);
    broker.onSys('$SYS/b1/clients/connected', enc('7'), 0);
    broker.onSys('$SYS/b1/messages/received', enc('100'), 1000);
    broker.onSys('$SYS/b1/messages/received', enc('300'), 2000);
    expect(broker.figures).toMatchObject({ connections: 7, messagesIn: 200 });
    broker.onSys('$SYS/b1/messages/received/per-second', enc('42'), 2500);
    broker.onSys('$SYS/b1/messages/received', enc('900'), 3000);
    broker.onSys('$SYS/b1/messages/sent/per-second', enc('84'), 3000);
    expect(broker.figures).toMatchObject({ messagesIn: 42, messagesOut: 84 });
    expect(broker.metrics).toEqual({
      connections: 9,
      bridgeLagMs: 250,
      spooledPoints: 12,
      spoolBytes: 4096,
      dropsByReason: { 'broker: queue_full': 3, 'broker: rate': 2, 'dead letter: undecodable': 4, 'live: sse': 1 },
    });
    broker.stop();
  });
});
