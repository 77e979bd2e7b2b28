import type { IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import type { Registry } from 'prom-client';
import { openHooks, type BrokerHooks } from '../broker/types.ts';
import type { Identity, LoginResponse } from '../contract/index.ts';
import type { Refusals } from '../guards/refusals.ts';
import type { Logger } from '../logger.ts';
import type { VerifyUpgrade } from '../transport/websocket.ts';
import { canReceive, createTopicAcl } from './acl.ts';
import type { AuthConfig } from './config.ts';
import { createConnectAuthenticator } from './connect.ts';
import { ensureAdmin, ensureSecret, usersFileName } from './first-start.ts';
import { createKnownDevices, type KnownDevices } from './known-devices.ts';
import { createPasswordChecker } from './password-check.ts';
import { openPasswordStore } from './passwords.ts';
import { createTokenService } from './tokens.ts';
import { bearerToken, upgradeToken } from './upgrade.ts';

/**
 * canSubscribe's answer with its cause: the role's pattern that allows the filter, the deny pattern
 * it lies in, or (not allowed) every subscribe pattern of the role, filled with the subject.
 */
export type SubscribeVerdict =
  | { allowed: true; role: string; patterns: string[] }
  | { allowed: false; reason: 'unknown-role' | 'denied' | 'not-allowed'; role: string; patterns: string[] };

/** What an identity may do with a topic, from its role's patterns. */
export interface TopicAcl {
  canPublish(identity: Identity, topic: string): boolean;
  canSubscribe(identity: Identity, filter: string): boolean;
  /** why canSubscribe answers as it does (absent where there are no roles: everything is allowed) */
  explainSubscribe?(identity: Identity, filter: string): SubscribeVerdict;
}

export type LoginResult = { ok: true; response: LoginResponse } | { ok: false; status: 401 | 404 | 429 | 503; reason: string };

export interface AccessControl {
  /** MQTT: CONNECT authentication and per-packet authorization */
  hooks: BrokerHooks;
  /** WebSocket: token on the URL or in the subprotocol, origin; runs before the upgrade */
  verifyUpgrade: VerifyUpgrade;
  /** HTTP API: `Authorization: Bearer <jwt>`; null when missing or invalid */
  authenticateRequest(headers: IncomingHttpHeaders): Promise<Identity | null>;
  acl: TopicAcl;
  /** device ids no other session may take; app start adds those the store and retained statuses know */
  devices: KnownDevices;
  /** POST /api/login: a user's password for a short-lived JWT */
  login(username: string, password: string, remoteAddress: string): Promise<LoginResult>;
  close(): Promise<void>;
}

export type AttemptOutcome = 'succeeded' | 'failed' | 'not_checked';

/** Failed authentications per address and per user name (implemented by guards). */
export interface AuthFailureLimiter {
  /**
   * Reserves one expensive password check before it runs: the attempt counts as a failure until it
   * is settled, so parallel attempts cannot all be checked. Refused while the address or the user
   * name is over its limit.
   */
  reserve(remoteAddress: string, username: string): { ok: true; settle(outcome: AttemptOutcome): void } | { ok: false; by: 'address' | 'user' };
  /** A cheap check (a token, a machine secret) failed: counts toward the address, blocks nothing cheap. */
  recordFailure(remoteAddress: string): void;
}

export interface AccessControlDeps {
  config: AuthConfig;
  dataDir: string;
  log: Logger;
  metrics: Registry;
  /** the one refusal counter, shared with guards */
  refusals: Refusals;
  limiter?: AuthFailureLimiter;
  /** where the generated admin login is shown once; default stdout (never the log) */
  print?: (text: string) => void;
}

const noLimit: AuthFailureLimiter = { reserve: () => ({ ok: true, settle: () => {} }), recordFailure: () => {} };

export async function createAccessControl(deps: AccessControlDeps): Promise<AccessControl> {
  const { config, log } = deps;
  if (config.mode === 'none') return anonymousAccess(log);

  const limiter = deps.limiter ?? noLimit;
  const { refusals } = deps;
  const secret = ensureSecret(deps.dataDir, config.jwtSecret, log);
  const tokens = createTokenService({
    secret,
    publicKeyFile: config.jwtPublicKeyFile,
    issuer: config.issuer,
    audience: config.audience,
    clockToleranceSec: config.clockToleranceSec,
    allowTokensWithoutExp: config.allowTokensWithoutExp,
  });
  const acl = createTopicAcl(config.roles);
  const users = openPasswordStore(config.usersFile ?? path.join(deps.dataDir, usersFileName), config.scryptCostLog2);
  await ensureAdmin(users, config.adminPassword, log, deps.print ?? ((text) => process.stdout.write(text)));
  const passwords = createPasswordChecker({
    users,
    limiter,
    metrics: deps.metrics,
    concurrency: config.passwordCheckConcurrency,
    maxQueued: config.passwordCheckMaxQueued,
    verifiedCacheTtlSec: config.verifiedCacheTtlSec,
    verifiedCacheMaxEntries: config.verifiedCacheMaxEntries,
  });
  const devices = createKnownDevices();
  const authenticate = createConnectAuthenticator({ tokens, passwords, acl, limiter, refusals, devices, anonymousRole: config.anonymousRole });

  const hooks: BrokerHooks = {
    authenticate,
    async authorizePublish(client, message) {
      const identity = client.context.identity;
      if (identity && acl.canPublish(identity, message.topic)) return 'allow';
      refusals.refuse('forbidden-publish', client.context, { clientId: client.id, topic: message.topic });
      return config.disconnectOnForbiddenPublish ? 'disconnect' : 'deny';
    },
    async authorizeSubscribe(client, filter) {
      const identity = client.context.identity;
      if (identity && acl.canSubscribe(identity, filter)) return true;
      refusals.refuse('forbidden-subscribe', client.context, { clientId: client.id, filter });
      return false;
    },
    authorizeForward(client, topic) {
      const identity = client.context.identity;
      if (identity && canReceive(acl, identity, topic)) return true;
      refusals.refuse('forbidden-forward', null);
      return false;
    },
  };

  const verifyUpgrade: VerifyUpgrade = async (req) => {
    const token = upgradeToken(req);
    if (token === undefined) return { ok: true };
    const remoteAddress = req.socket.remoteAddress ?? 'unknown';
    // a token costs microseconds to check, so it is always checked: a valid one is never refused
    // because others failed from the same address
    const check = await tokens.verify(token);
    if (check.ok && acl.knowsRole(check.identity.role)) return { ok: true, token };
    limiter.recordFailure(remoteAddress);
    refusals.refuse('upgrade-bad-token', remoteAddress, { remoteAddress, why: check.ok ? 'unknown-role' : check.reason });
    return { ok: false, status: 401, reason: 'invalid token' };
  };

  return {
    hooks,
    verifyUpgrade,
    acl,
    devices,
    async authenticateRequest(headers) {
      const token = bearerToken(headers);
      if (!token) return null;
      const check = await tokens.verify(token);
      return check.ok && acl.knowsRole(check.identity.role) ? check.identity : null;
    },
    async login(username, password, remoteAddress) {
      const user = await passwords.check(username, password, remoteAddress);
      if (!user.ok && user.reason === 'failed-auth-rate') {
        refusals.refuse('failed-auth-rate', remoteAddress, { remoteAddress });
        return { ok: false, status: 429, reason: 'too many failed logins; try again later' };
      }
      if (!user.ok && user.reason === 'password-check-busy') {
        refusals.refuse('password-check-busy', remoteAddress, { remoteAddress });
        return { ok: false, status: 503, reason: 'too many logins at once; try again shortly' };
      }
      if (!user.ok) {
        // the name only when it is a user: a mistyped password in the name field stays out of the log
        refusals.refuse('bad-password', remoteAddress, { remoteAddress, ...(users.has(username) ? { username } : {}) });
        return { ok: false, status: 401, reason: 'bad user name or password' };
      }
      const { token, expiresAtMs } = await tokens.sign({ subject: username, role: user.role }, config.loginTokenTtlSec);
      return { ok: true, response: { token, expiresAt: expiresAtMs, username, role: user.role } };
    },
    close: async () => {},
  };
}

function anonymousAccess(log: Logger): AccessControl {
  log.warn('TELEMQ_AUTH=none: every client is anonymous and may do anything; for development only');
  const anonymous: Identity = { subject: 'anonymous', role: 'admin' };
  return {
    hooks: openHooks,
    verifyUpgrade: async () => ({ ok: true }),
    authenticateRequest: async () => anonymous,
    acl: { canPublish: () => true, canSubscribe: () => true },
    devices: createKnownDevices(0),
    login: async () => ({ ok: false, status: 404, reason: 'login is not available: TELEMQ_AUTH=none' }),
    close: async () => {},
  };
}
