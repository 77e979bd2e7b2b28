// Device tokens: an HS256 JWT with `sub` the device id and role `device`, signed with the data
// dir's secret (or TELEMQ_JWT_SECRET). Minted by `npm run token -- device ID --ttl 30d` and, for
// an admin, by POST /api/device-tokens (the console's onboarding panel).
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { isTopicSafeSubject } from '../auth/acl.ts';
import type { DeviceTokenResponse } from '../contract/index.ts';

const unitsMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const maxDeviceTokenTtlMs = 3650 * unitsMs.d;

/** "30d", "12h", "90m", "45s" → ms; undefined when not a positive duration up to ten years. */
export function parseTtlMs(text: string): number | undefined {
  const match = /^(\d{1,6})(s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * unitsMs[match[2] as keyof typeof unitsMs];
  return ms > 0 && ms <= maxDeviceTokenTtlMs ? ms : undefined;
}

export async function mintDeviceToken(secret: string, deviceId: string, ttlMs: number, nowMs = Date.now()): Promise<DeviceTokenResponse> {
  const nowSec = Math.floor(nowMs / 1000);
  const expSec = nowSec + Math.ceil(ttlMs / 1000);
  const token = await new SignJWT({ role: 'device' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(deviceId)
    .setIssuedAt(nowSec)
    .setExpirationTime(expSec)
    .sign(new TextEncoder().encode(secret));
  return { deviceId, token, expiresAt: expSec * 1000 };
}

const deviceTokenRequest = z.object({ deviceId: z.string().min(1).max(128), ttl: z.string().default('30d') }).strict();

export interface DeviceTokensRouteDeps {
  /** the HS256 secret; null when tokens are not HS256-signed here (auth none) */
  secret: string | null;
}

export function registerDeviceTokensRoute(app: FastifyInstance, deps: DeviceTokensRouteDeps): void {
  app.post('/api/device-tokens', { bodyLimit: 4096, config: { auth: 'admin' } }, async (req, reply) => {
    if (!deps.secret) return reply.code(404).send({ error: 'auth_disabled', message: 'authentication is off: devices need no token' });
    const parsed = deviceTokenRequest.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', message: 'expected JSON {"deviceId": string, "ttl"?: "30d"}' });
    const { deviceId, ttl } = parsed.data;
    if (!isTopicSafeSubject(deviceId)) return reply.code(400).send({ error: 'invalid_device_id', message: 'a device id is one topic level: no / + # or control characters' });
    const ttlMs = parseTtlMs(ttl);
    if (ttlMs === undefined) return reply.code(400).send({ error: 'invalid_ttl', message: 'ttl is a number with s, m, h or d, at most 3650d' });
    return mintDeviceToken(deps.secret, deviceId, ttlMs);
  });
}
