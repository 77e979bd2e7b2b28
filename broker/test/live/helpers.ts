// Shared by the live tests: an SSE reader, a long-poll request and metric reads from /metrics.
import assert from 'node:assert/strict';
import type { WirePollResponse } from '../../src/live/wire.ts';

export interface SseEvent {
  event: string;
  data: unknown;
}

export interface SseStream {
  status: number;
  events: SseEvent[];
  /** resolves when the server ends the stream (or close() aborts it) */
  ended: Promise<void>;
  close(): void;
}

/** Reads an SSE response into a growing list of events. */
export async function openSse(url: string, init: RequestInit = {}): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetch(url, { ...init, signal: controller.signal });
  const events: SseEvent[] = [];
  let ended: Promise<void> = Promise.resolve();
  if (res.ok && res.body) {
    ended = (async () => {
      let buffer = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data) });
          }
        }
      } catch {
        // aborted by close()
      }
    })();
  }
  return { status: res.status, events, ended, close: () => controller.abort() };
}

export interface PollOptions {
  filters: string[];
  session?: string;
  waitMs?: number;
  token?: string;
}

export async function poll(httpUrl: string, options: PollOptions): Promise<WirePollResponse> {
  const res = await pollRequest(httpUrl, options);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as WirePollResponse;
}

export function pollRequest(httpUrl: string, options: PollOptions, signal?: AbortSignal): Promise<Response> {
  const url = new URL('/api/poll', httpUrl);
  for (const f of options.filters) url.searchParams.append('filter', f);
  if (options.session) url.searchParams.set('session', options.session);
  url.searchParams.set('waitMs', String(options.waitMs ?? 0));
  return fetch(url, { headers: options.token ? { authorization: `Bearer ${options.token}` } : {}, ...(signal ? { signal } : {}) });
}

export const payloads = (r: WirePollResponse) => r.messages.map((m) => Buffer.from(m.payload, 'base64').toString());

/** The sum of a metric's samples whose labels include `labels`, read from /metrics. */
export async function metric(httpUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

/** A client that keeps a request waiting on its session, as the console does, until stopped. */
export function keepPolling(httpUrl: string, session: string, filters: string[], token?: string): { received: string[]; dropped: number; stop(): Promise<void> } {
  const controller = new AbortController();
  const state = { received: [] as string[], dropped: 0 };
  const loop = (async () => {
    while (!controller.signal.aborted) {
      try {
        const res = await pollRequest(httpUrl, { session, filters, waitMs: 20_000, ...(token ? { token } : {}) }, controller.signal);
        const body = (await res.json()) as WirePollResponse;
        state.received.push(...payloads(body));
        state.dropped += body.dropped;
      } catch {
        // aborted by stop()
      }
    }
  })();
  return {
    get received() {
      return state.received;
    },
    get dropped() {
      return state.dropped;
    },
    async stop() {
      controller.abort();
      await loop;
    },
  };
}
