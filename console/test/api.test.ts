import { describe, expect, test, vi } from 'vitest';
import { ApiError, createApi } from '../src/api/http.ts';

function fakeFetch(status: number, body: unknown) {
  const calls: Array<{ url: string; headers: Headers; method: string }> = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), headers: new Headers(init?.headers), method: init?.method ?? 'GET' });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
  return { fn: fn as unknown as typeof fetch, calls };
}

describe('HTTP API client', () => {
  test('history: the query as parameters, the token as a Bearer header', async () => {
    const f = fakeFetch(200, { points: [] });
    const api = createApi({ baseUrl: 'http://h:1', getToken: () => 'tok', onUnauthorized: () => {}, fetch: f.fn });
    await api.history({ device: 'd 1', field: 'temp', from: 10, to: 20, everyMs: 60_000, agg: 'mean' });
    expect(f.calls[0]!.url).toBe('http://h:1/api/history?device=d+1&field=temp&from=10&to=20&every=60000&agg=mean');
    expect(f.calls[0]!.headers.get('authorization')).toBe('Bearer tok');
  });

  test('login sends no token; a 401 there is a wrong password, not an ended session', async () => {
    const f = fakeFetch(401, { error: 'unauthorized', message: 'wrong user name or password' });
    const onUnauthorized = vi.fn();
    const api = createApi({ baseUrl: 'http://h:1', getToken: () => 'old', onUnauthorized, fetch: f.fn });
    await expect(api.login({ username: 'a', password: 'b' })).rejects.toThrow('wrong user name or password');
    expect(f.calls[0]!.headers.get('authorization')).toBeNull();
    expect(f.calls[0]!.method).toBe('POST');
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  test('a 401 from an authenticated call ends the session', async () => {
    const f = fakeFetch(401, { error: 'unauthorized', message: 'token expired' });
    const onUnauthorized = vi.fn();
    const api = createApi({ baseUrl: 'http://h:1', getToken: () => 'old', onUnauthorized, fetch: f.fn });
    const err = await api.devices().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect(onUnauthorized).toHaveBeenCalledWith('token expired');
  });
});
