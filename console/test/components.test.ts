import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import App from '../src/App.vue';
import ConnectionBanner from '../src/components/ConnectionBanner.vue';
import { fakeApi, installServices } from './install-services.ts';
import { useFleetStore } from '../src/stores/fleet.ts';
import { useSessionStore } from '../src/stores/session.ts';
import { createFakeSource, fakeJwt, memoryStorage, type FakeSource } from './fake-source.ts';

describe('connection banner', () => {
  test.each([
    [{ kind: 'connected' }, 'connected'],
    [{ kind: 'reconnecting', attempt: 2, retryAtMs: Date.now() + 2900, reason: 'x' }, 'reconnecting in 3 s (attempt 2)'],
    [{ kind: 'offline', reason: 'closed' }, 'offline: closed'],
  ] as const)('%o', (state, text) => {
    const w = mount(ConnectionBanner, { props: { state, transport: 'mqtt' } });
    expect(w.text()).toBe(text);
    expect(w.attributes('role')).toBe('status');
    w.unmount();
  });
});

describe('app', () => {
  let source: FakeSource;
  beforeEach(() => {
    source = createFakeSource();
    installServices({
      createApi: () =>
        fakeApi({
          login: vi.fn(async () => {
            throw new Error('wrong user name or password');
          }),
        }),
      createSource: () => source,
      storage: memoryStorage(),
    });
  });

  test('login page first; a failed login says why; a token opens the fleet, live', async () => {
    const w = mount(App);
    expect(w.find('form').exists()).toBe(true);
    await w.find('input[name=username]').setValue('alice');
    await w.find('input[name=password]').setValue('nope');
    await w.find('form').trigger('submit');
    await flushPromises();
    expect(w.find('[data-test=login-error]').text()).toContain('wrong user name or password');

    useSessionStore().useToken(fakeJwt({ sub: 'ops' }));
    await flushPromises();
    expect(w.find('[data-test=connection]').text()).toBe('connected');
    source.deliver('devices/d1/status', 'online');
    useFleetStore().flush();
    await flushPromises();
    expect(w.find('[data-test=online-count]').text()).toBe('1 online');
    expect(w.find('[data-device=d1] [data-test=status]').text()).toBe('online');

    await w.find('[data-test=logout]').trigger('click');
    await flushPromises();
    expect(w.find('input[name=username]').exists()).toBe(true);
    w.unmount();
  });
});
