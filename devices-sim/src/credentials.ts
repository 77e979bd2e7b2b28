// The password each device presents: nothing, one shared token or password, or a token signed
// for that device alone (sub = device id, role = device) and renewed before it expires.
import { SignJWT } from 'jose';
import type { Credentials } from './config.ts';

export type PasswordSource = (deviceId: string) => Promise<string | undefined>;

export function createPasswordSource(credentials: Credentials, nowMs: () => number = Date.now): PasswordSource {
  switch (credentials.kind) {
    case 'none':
      return async () => undefined;
    case 'token':
      return async () => credentials.token;
    case 'password':
      return async () => credentials.password;
    case 'secret':
      return createTokenSigner(credentials.secret, credentials.tokenTtlSec, nowMs);
  }
}

function createTokenSigner(secret: string, ttlSec: number, nowMs: () => number): PasswordSource {
  const key = new TextEncoder().encode(secret);
  const cache = new Map<string, { token: string; renewAtMs: number }>();
  return async (deviceId) => {
    const cached = cache.get(deviceId);
    if (cached && cached.renewAtMs > nowMs()) return cached.token;
    const nowSec = Math.floor(nowMs() / 1000);
    const token = await new SignJWT({ role: 'device' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(deviceId)
      .setIssuedAt(nowSec)
      .setExpirationTime(nowSec + ttlSec)
      .sign(key);
    // Renew at 80% of the lifetime, so a reconnect never presents an expired token.
    cache.set(deviceId, { token, renewAtMs: (nowSec + ttlSec * 0.8) * 1000 });
    return token;
  };
}
