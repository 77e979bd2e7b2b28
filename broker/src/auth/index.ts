import type { IncomingHttpHeaders } from 'node:http';
import type { Registry } from 'prom-client';
import { openHooks, type BrokerHooks } from '../broker/types.ts';
import type { Identity } from '../contract/index.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { VerifyUpgrade } from '../transport/websocket.ts';
import type { AuthConfig } from './config.ts';

/** What an identity may do with a topic, from its role's patterns. */
export interface TopicAcl {
  canPublish(identity: Identity, topic: string): boolean;
  canSubscribe(identity: Identity, filter: string): boolean;
}

export interface AccessControl {
  /** MQTT: CONNECT authentication and per-packet authorization */
  hooks: BrokerHooks;
  /** WebSocket: token on the URL or in the subprotocol, origin; runs before the upgrade */
  verifyUpgrade: VerifyUpgrade;
  /** HTTP API: `Authorization: Bearer <jwt>`; null when missing or invalid */
  authenticateRequest(headers: IncomingHttpHeaders): Promise<Identity | null>;
  acl: TopicAcl;
  close(): Promise<void>;
}

export interface AccessControlDeps {
  config: AuthConfig;
  dataDir: string;
  log: Logger;
  metrics: Registry;
}

export async function createAccessControl(deps: AccessControlDeps): Promise<AccessControl> {
  if (deps.config.mode === 'none') {
    deps.log.warn('TELEMQ_AUTH=none: every client is anonymous and may do anything; for development only');
    const anonymous: Identity = { subject: 'anonymous', role: 'admin' };
    return {
      hooks: openHooks,
      verifyUpgrade: async () => ({ ok: true }),
      authenticateRequest: async () => anonymous,
      acl: { canPublish: () => true, canSubscribe: () => true },
      close: async () => {},
    };
  }
  throw new AppError('CONFIG_INVALID', 'auth.mode=required is not available yet');
}
