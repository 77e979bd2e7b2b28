// The app's outside world in one place, replaceable in tests: the HTTP API and the live transport.
// Created once by main.ts and provided to the app; the stores inject it (Pinia runs setup stores
// in the app's context), so nothing here is module state.
import { inject, type App, type InjectionKey } from 'vue';
import { createApi, type Api, type ApiDeps } from './api/http.ts';
import type { LiveSource, LiveSourceDeps, TransportKind } from './live/live-source.ts';
import { createMqttSource } from './live/mqtt-source.ts';
import { createPollSource } from './live/poll-source.ts';
import { createSseSource } from './live/sse-source.ts';

export interface Services {
  baseUrl: string;
  createApi(deps: Omit<ApiDeps, 'baseUrl'>): Api;
  createSource(deps: Omit<LiveSourceDeps, 'baseUrl'>): LiveSource;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
}

/** MQTT over WebSocket when the browser has it; `?live=sse|poll` forces a fallback. */
export function chooseTransport(search: string, hasWebSocket: boolean, hasEventSource: boolean): TransportKind {
  const forced = new URLSearchParams(search).get('live');
  if (forced === 'mqtt' || forced === 'sse' || forced === 'poll') return forced;
  if (hasWebSocket) return 'mqtt';
  return hasEventSource ? 'sse' : 'poll';
}

const builders = { mqtt: createMqttSource, sse: createSseSource, poll: createPollSource } as const;

export const servicesKey: InjectionKey<Services> = Symbol('services');

/** The browser's services; `overrides` replace parts (tests). */
export function createServices(overrides: Partial<Services> = {}): Services {
  const baseUrl = globalThis.location?.origin ?? 'http://127.0.0.1:8080';
  return {
    baseUrl,
    createApi: (deps) => createApi({ ...deps, baseUrl }),
    createSource(deps) {
      const kind = chooseTransport(globalThis.location?.search ?? '', typeof WebSocket !== 'undefined', typeof EventSource !== 'undefined');
      return builders[kind]({ ...deps, baseUrl });
    },
    storage: globalThis.localStorage ?? null,
    ...overrides,
  };
}

export function provideServices(app: App, services: Services): App {
  return app.provide(servicesKey, services);
}

/** In a store's (or component's) setup: the app's services. */
export function useServices(): Services {
  const found = inject(servicesKey, null);
  if (!found) throw new Error('no services provided: main.ts provides them with provideServices(app, createServices())');
  return found;
}
