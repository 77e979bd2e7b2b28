import { flushPromises } from '@vue/test-utils';
import { expect, test, vi } from 'vitest';
import { effectScope } from 'vue';
import { installServices } from './install-services.ts';
import { useExplorer } from '../src/composables/useExplorer.ts';
import { useLiveStore } from '../src/stores/live.ts';
import { useSessionStore } from '../src/stores/session.ts';
import { createFakeSource, fakeJwt, memoryStorage } from './fake-source.ts';

test('a pause holds the list still but keeps buffering (bounded); resume shows what came', async () => {
  vi.useFakeTimers();
  try {
    const source = createFakeSource();
    installServices({ createApi: () => ({}) as never, createSource: () => source, storage: memoryStorage() });
    useSessionStore().useToken(fakeJwt({ sub: 'ops' }));
    useLiveStore().start();
    const scope = effectScope();
    const explorer = scope.run(() => useExplorer(3, 3, 0))!;
    explorer.subscribe('devices/#');
    await flushPromises();
    source.deliver('devices/d1/telemetry', '{"n":1}');
    vi.advanceTimersByTime(50);
    expect(explorer.messages.value.map((m) => m.text)).toEqual(['{"n":1}']);
    explorer.setPaused(true);
    for (let n = 2; n <= 6; n++) source.deliver('devices/d1/telemetry', `{"n":${n}}`);
    vi.advanceTimersByTime(50);
    expect(explorer.messages.value.map((m) => m.text)).toEqual(['{"n":1}']);
    expect(explorer.heldWhilePaused.value).toBe(3);
    explorer.setPaused(false);
    vi.advanceTimersByTime(50);
    expect(explorer.messages.value.map((m) => m.text)).toEqual(['{"n":6}', '{"n":5}', '{"n":4}']);
    scope.stop();
  } finally {
    vi.useRealTimers();
  }
});
