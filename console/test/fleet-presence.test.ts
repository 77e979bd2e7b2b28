import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { fakeApi, installServices } from './install-services.ts';
import { mergeSorted, useFleetStore } from '../src/stores/fleet.ts';
import { useLiveStore } from '../src/stores/live.ts';
import { useSessionStore } from '../src/stores/session.ts';
import { createFakeSource, fakeJwt, memoryStorage } from './fake-source.ts';

afterEach(() => vi.useRealTimers());

/** A started fleet store on fake timers, fed by a fake live source and the given API. */
async function startedFleet(api = fakeApi()) {
  vi.useFakeTimers();
  const source = createFakeSource();
  installServices({ createApi: () => api, createSource: () => source, storage: memoryStorage() });
  useSessionStore().useToken(fakeJwt({ sub: 'ops' }));
  useLiveStore().start();
  const fleet = useFleetStore();
  await fleet.start();
  await flushPromises();
  return { fleet, source };
}

test('a device that goes silent turns stale after three of its intervals, judged every second', async () => {
  const { fleet, source } = await startedFleet();
  for (let i = 0; i < 4; i++) {
    source.deliver('devices/d1/telemetry', JSON.stringify({ temp: i, ts: Date.now() }));
    vi.advanceTimersByTime(500);
  }
  fleet.flush();
  expect(fleet.devices[0]!.presence).toBe('online');
  expect(fleet.devices[0]!.intervalMs).toBe(500);
  vi.advanceTimersByTime(2000);
  fleet.flush();
  expect(fleet.devices[0]!.presence).toBe('stale');
  source.deliver('devices/d1/telemetry', JSON.stringify({ temp: 9, ts: Date.now() }));
  fleet.flush();
  expect(fleet.devices[0]!.presence).toBe('online');
  fleet.stop();
});

test('the store\'s last-seen time is not taken for an interval: a steady device stays online', async () => {
  // the device list (at start) already holds the message the live stream delivers 20 ms later
  const { fleet, source } = await startedFleet(fakeApi({ devices: vi.fn(async () => ({ devices: [{ deviceId: 'd1', status: 'online' as const, lastSeen: Date.now(), latest: {} }] })) }));
  vi.advanceTimersByTime(20);
  for (let i = 0; i < 6; i++) {
    source.deliver('devices/d1/telemetry', JSON.stringify({ temp: i }));
    vi.advanceTimersByTime(5000);
  }
  fleet.flush();
  expect(fleet.devices[0]!.intervalMs).toBe(5000);
  expect(fleet.devices[0]!.presence).toBe('online');
  fleet.stop();
});

describe('fleet order', () => {
  test('new device ids merge into natural order', () => {
    const compare = new Intl.Collator(undefined, { numeric: true }).compare;
    expect(mergeSorted(['d-1', 'd-3', 'd-10'], ['d-2', 'd-11'], compare)).toEqual(['d-1', 'd-2', 'd-3', 'd-10', 'd-11']);
    expect(mergeSorted([], ['a'], compare)).toEqual(['a']);
    expect(mergeSorted(['a'], [], compare)).toEqual(['a']);
  });
});
