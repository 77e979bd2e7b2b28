// Long-polling fallback (GET /api/poll): each request waits until messages arrive or the server's
// wait ends, and names the session so nothing is lost between requests; one session serves every
// filter change. Publishing goes through POST /api/publish. When the page goes away the session
// is closed (POST /api/poll/close, by sendBeacon) so the server stops queueing for it.
import type { LiveSource, LiveSourceDeps } from './live-source.ts';
import { createStreamBase, streamSource } from './stream-base.ts';
import { decodeBase64, type WirePollResponse } from './wire.ts';

export function createPollSource(deps: LiveSourceDeps & { waitMs?: number }): LiveSource {
  let controller: AbortController | null = null;
  let session = '';
  const base = createStreamBase(deps, open, shut);

  function open(filters: string[]): void {
    const mine = new AbortController();
    controller = mine;
    void loop(filters, mine.signal);
  }
  async function loop(filters: string[], signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const url = new URL('/api/poll', deps.baseUrl);
      for (const f of filters) url.searchParams.append('filter', f);
      url.searchParams.set('waitMs', String(deps.waitMs ?? 25_000));
      if (session) url.searchParams.set('session', session);
      let body: WirePollResponse;
      try {
        const res = await fetch(url, { headers: { authorization: `Bearer ${deps.getToken() ?? ''}` }, signal });
        if (!res.ok) return base.failed(`poll answered ${res.status}`, res.status);
        body = (await res.json()) as WirePollResponse;
      } catch (err) {
        if (!signal.aborted) base.failed((err as Error).message);
        return;
      }
      session = body.session;
      base.opened(body);
      for (const m of body.messages) base.messages.emit({ topic: m.topic, payload: decodeBase64(m.payload), retain: m.retain, receivedAtMs: base.now() });
    }
  }
  function shut(): void {
    controller?.abort();
    controller = null;
  }

  function closeUrl(): string {
    const url = new URL('/api/poll/close', deps.baseUrl);
    url.searchParams.set('session', session);
    return url.toString();
  }
  function onPageHide(): void {
    if (session) page.navigator?.sendBeacon?.(closeUrl());
  }
  page.addEventListener?.('pagehide', onPageHide);
  function onClose(): void {
    page.removeEventListener?.('pagehide', onPageHide);
    if (!session) return;
    // a 404 (a server without the endpoint) is harmless: the session then idles out
    void fetch(closeUrl(), { method: 'POST', headers: { authorization: `Bearer ${deps.getToken() ?? ''}` }, keepalive: true }).catch(() => undefined);
    session = '';
  }

  return streamSource('poll', base, deps, onClose);
}

/** What the source uses of a page, absent when it runs outside a browser (Node tests). */
interface Page {
  addEventListener?(type: 'pagehide', listener: () => void): void;
  removeEventListener?(type: 'pagehide', listener: () => void): void;
  navigator?: { sendBeacon?(url: string): boolean };
}
const page = globalThis as unknown as Page;
