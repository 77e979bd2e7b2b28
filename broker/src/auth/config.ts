import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { topicFilterProblem, topicProblemText } from '../contract/index.ts';
import { fillPattern } from './acl.ts';

/** A topic pattern: a valid filter once its placeholders are filled. */
const pattern = z.string().superRefine((value, ctx) => {
  const problem = topicFilterProblem(fillPattern(value, 'x'));
  if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)}: ${topicProblemText[problem]}` });
});

const rolePatterns = z.object({
  publish: z.array(pattern).default([]),
  subscribe: z.array(pattern).default([]),
  /** checked before publish: a topic one of these matches is never published */
  denyPublish: z.array(pattern).default([]),
  /** checked before subscribe: a filter inside one of these gets 0x80; a wider filter misses those topics */
  denySubscribe: z.array(pattern).default([]),
});

export const defaultRoles = {
  device: {
    publish: ['devices/{deviceId}/telemetry', 'devices/{deviceId}/status', 'devices/{deviceId}/replies/#'],
    subscribe: ['devices/{deviceId}/commands/#'],
  },
  console: {
    publish: ['devices/+/commands/#'],
    subscribe: ['devices/+/telemetry', 'devices/+/status', 'devices/+/replies/#', '$SYS/#'],
  },
  admin: { publish: ['#'], subscribe: ['#', '$SYS/#', '$telemq/#'] },
} as const;

const authObject = z.object({
  /** 'none' is for development only and warns at every start */
  mode: z.enum(['required', 'none']).default('required'),
  /** HS256 secret; generated under dataDir at first start when neither it nor a public key is set */
  jwtSecret: z.string().min(16).optional(),
  /** PEM or JWKS file for RS256 / ES256 */
  jwtPublicKeyFile: z.string().min(1).optional(),
  issuer: z.string().optional(),
  audience: z.string().optional(),
  clockToleranceSec: z.number().int().min(0).default(30),
  /** lifetime of tokens issued by POST /api/login */
  loginTokenTtlSec: z.number().int().min(60).default(3600),
  /** scrypt password file; default dataDir/users.json */
  usersFile: z.string().optional(),
  /** scrypt cost for new password hashes, as log2 of N (15: N = 32768, about 32 MiB and 0.1 s per hash) */
  scryptCostLog2: z.number().int().min(10).max(20).default(15),
  /**
   * scrypt checks running at once (default: half the cores, at least 1): each keeps a core busy, so
   * the event loop and token checks (on the rest of the libuv pool) always keep a core of their own
   */
  passwordCheckConcurrency: z
    .number()
    .int()
    .min(1)
    .default(() => Math.max(1, Math.floor(availableParallelism() / 2))),
  /** scrypt checks waiting for a slot; more are refused at once (CONNACK 0x03, HTTP 503) */
  passwordCheckMaxQueued: z.number().int().min(0).default(200),
  /** how long a verified (user, password) pair is remembered (0: not at all) */
  verifiedCacheTtlSec: z.number().int().min(0).default(900),
  verifiedCacheMaxEntries: z.number().int().min(1).default(100_000),
  /** admin password at first start; else generated and printed once */
  adminPassword: z.string().min(8).optional(),
  roles: z.record(z.string(), rolePatterns).default(defaultRoles as unknown as Record<string, z.infer<typeof rolePatterns>>),
  disconnectOnForbiddenPublish: z.boolean().default(false),
  /** role of a client that brings no credentials; unset: such clients are refused (CONNACK 0x05) */
  anonymousRole: z.string().min(1).optional(),
  /** accept tokens without `exp` (they never expire); off: such tokens are refused */
  allowTokensWithoutExp: z.boolean().default(false),
});

export const authConfigSchema = authObject.superRefine((auth, ctx) => {
  const role = auth.anonymousRole;
  if (role === undefined) return;
  // A device is its client id; an anonymous client could claim any device's.
  if (role === 'device') ctx.addIssue({ code: 'custom', path: ['anonymousRole'], message: 'anonymous clients cannot have the device role' });
  else if (!Object.hasOwn(auth.roles, role)) ctx.addIssue({ code: 'custom', path: ['anonymousRole'], message: `role ${JSON.stringify(role)} is not in auth.roles` });
});

export type AuthConfig = z.infer<typeof authConfigSchema>;
