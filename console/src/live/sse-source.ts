// Server-Sent Events fallback (GET /sse), publishing through POST /api/publish. EventSource cannot send headers, so the
// token travels as ?token=, as on the WebSocket URL.
import type { LiveSource, LiveSourceDeps } from './live-source.ts';
import { createStreamBase, streamSource } from './stream-base.ts';
import { decodeBase64, type WireMessage, type WireSubscribed } from './wire.ts';

export function createSseSource(deps: LiveSourceDeps): LiveSource {
  let es: EventSource | null = null;
  const base = createStreamBase(deps, open, shut);

  function open(filters: string[]): void {
    const url = new URL('/sse', deps.baseUrl);
    for (const f of filters) url.searchParams.append('filter', f);
    url.searchParams.set('token', deps.getToken() ?? '');
    const source = new EventSource(url);
    es = source;
    source.addEventListener('subscribed', (e) => base.opened(JSON.parse((e as MessageEvent<string>).data) as WireSubscribed));
    source.addEventListener('message', (e) => {
      const m = JSON.parse((e as MessageEvent<string>).data) as WireMessage;
      base.messages.emit({ topic: m.topic, payload: decodeBase64(m.payload), retain: m.retain, receivedAtMs: base.now() });
    });
    // EventSource would retry on its own at a fixed pace; our backoff decides instead.
    source.addEventListener('error', () => base.failed('stream lost'));
  }
  function shut(): void {
    es?.close();
    es = null;
  }

  return streamSource('sse', base, deps);
}
