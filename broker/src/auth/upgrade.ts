// Where a token travels outside CONNECT: `?token=` on the WebSocket URL, the second entry of
// Sec-WebSocket-Protocol (`mqtt, <token>`, for browsers that cannot set headers), and
// `Authorization: Bearer` on HTTP API requests.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export function upgradeToken(req: IncomingMessage): string | undefined {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) return fromUrl;
  const header = req.headers['sec-websocket-protocol'];
  if (!header) return undefined;
  const protocols = header.split(',').map((p) => p.trim());
  return protocols.length >= 2 && protocols[1] ? protocols[1] : undefined;
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (!value) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value);
  return match?.[1];
}
