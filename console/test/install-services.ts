// Tests' stand-in for main.ts: the services provided to an app whose Pinia is the active one, so
// stores made in the test (or by a mounted component) inject them as in the browser.
import { createPinia, setActivePinia } from 'pinia';
import { createApp } from 'vue';
import { vi } from 'vitest';
import type { Api } from '../src/api/http.ts';
import { createServices, provideServices, type Services } from '../src/services.ts';

export function installServices(overrides: Partial<Services>): void {
  const pinia = createPinia();
  provideServices(createApp({}), createServices(overrides)).use(pinia);
  setActivePinia(pinia);
}

/** An Api whose every call is a vi.fn with a neutral answer; a test overrides what it looks at. */
export function fakeApi(overrides: Partial<Api> = {}): Api {
  return {
    login: vi.fn(),
    devices: vi.fn(async () => ({ devices: [] })),
    history: vi.fn(),
    metricsText: vi.fn(async () => ''),
    consoleSettings: vi.fn(async () => ({ fields: {}, staleAfterIntervals: 3, connect: { mqttPort: 1883, wsPath: '/mqtt' }, canMintTokens: false })),
    mintDeviceToken: vi.fn(),
    publish: vi.fn(),
    bridgeRules: vi.fn(),
    brokerHistory: vi.fn(async () => {
      throw new Error('no history');
    }),
    demoFleet: vi.fn(async () => ({ state: 'stopped' as const, devices: 0, connected: 0, prefix: 'demo', detail: '' })),
    controlDemoFleet: vi.fn(),
    subscriptionCheck: vi.fn(async (filter: string) => ({ filter, verdict: 'not_allowed' as const, message: 'the role console may subscribe only to filters inside devices/+/telemetry', patterns: ['devices/+/telemetry'] })),
    ...overrides,
  };
}
