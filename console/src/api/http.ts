// The HTTP API client: Bearer token on every request; a 401 ends the session.
import type { BridgeRulesResponse, BrokerHistoryResponse, ConsoleSettings, DemoFleetRequest, DemoFleetStatus, DeviceTokenRequest, DeviceTokenResponse, DevicesResponse, HistoryQuery, HistoryResponse, LoginRequest, LoginResponse, PublishRequest, PublishResponse, SubscriptionCheckResponse } from '@telemq/broker/contract';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface ApiDeps {
  baseUrl: string;
  getToken(): string | null;
  /** called on 401 from an authenticated request */
  onUnauthorized(message: string): void;
  fetch?: typeof fetch;
}

export interface Api {
  login(request: LoginRequest): Promise<LoginResponse>;
  devices(): Promise<DevicesResponse>;
  history(query: HistoryQuery, signal?: AbortSignal): Promise<HistoryResponse>;
  /** Prometheus text from /metrics */
  metricsText(): Promise<string>;
  consoleSettings(): Promise<ConsoleSettings>;
  bridgeRules(): Promise<BridgeRulesResponse>;
  brokerHistory(): Promise<BrokerHistoryResponse>;
  demoFleet(): Promise<DemoFleetStatus>;
  /** admin only */
  controlDemoFleet(request: DemoFleetRequest): Promise<DemoFleetStatus>;
  /** admin only */
  mintDeviceToken(request: DeviceTokenRequest): Promise<DeviceTokenResponse>;
  publish(request: PublishRequest): Promise<PublishResponse>;
  /** why the broker grants or refuses `filter` to this session (a SUBACK 0x80 says no more) */
  subscriptionCheck(filter: string): Promise<SubscriptionCheckResponse>;
}

export function createApi(deps: ApiDeps): Api {
  const doFetch = deps.fetch ?? ((input, init) => fetch(input, init));

  async function call<T>(path: string, init: RequestInit & { authenticated?: boolean; json?: boolean } = {}): Promise<T> {
    const headers = new Headers(init.headers);
    const token = deps.getToken();
    if (init.authenticated !== false && token) headers.set('authorization', `Bearer ${token}`);
    const res = await doFetch(new URL(path, deps.baseUrl), { ...init, headers });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
      const message = body.message ?? `${res.status} ${res.statusText}`;
      if (res.status === 401 && init.authenticated !== false) deps.onUnauthorized(message);
      throw new ApiError(res.status, body.error ?? 'http_error', message);
    }
    return (init.json === false ? await res.text() : await res.json()) as T;
  }

  return {
    login: (request) =>
      call<LoginResponse>('/api/login', { method: 'POST', authenticated: false, body: JSON.stringify(request), headers: { 'content-type': 'application/json' } }),
    devices: () => call<DevicesResponse>('/api/devices'),
    history(query, signal) {
      const params = new URLSearchParams({ device: query.device, field: query.field, from: String(query.from), to: String(query.to) });
      if (query.everyMs) params.set('every', String(query.everyMs));
      if (query.agg) params.set('agg', query.agg);
      return call<HistoryResponse>(`/api/history?${params.toString()}`, signal ? { signal } : {});
    },
    metricsText: () => call<string>('/metrics', { json: false }),
    consoleSettings: () => call<ConsoleSettings>('/api/console-settings'),
    bridgeRules: () => call<BridgeRulesResponse>('/api/bridge-rules'),
    brokerHistory: () => call<BrokerHistoryResponse>('/api/broker-history'),
    demoFleet: () => call<DemoFleetStatus>('/api/demo-fleet'),
    controlDemoFleet: (request) => call<DemoFleetStatus>('/api/demo-fleet', { method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' } }),
    mintDeviceToken: (request) => call<DeviceTokenResponse>('/api/device-tokens', { method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' } }),
    publish: (request) => call<PublishResponse>('/api/publish', { method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' } }),
    subscriptionCheck: (filter) => call<SubscriptionCheckResponse>(`/api/subscription-check?${new URLSearchParams({ filter }).toString()}`),
  };
}
