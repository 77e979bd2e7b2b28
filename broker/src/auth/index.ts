import { openHooks, type BrokerHooks } from '../broker/types.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { VerifyUpgrade } from '../transport/websocket.ts';
import type { AuthConfig } from './config.ts';

export interface AccessControl {
  hooks: BrokerHooks;
  verifyUpgrade: VerifyUpgrade;
  close(): Promise<void>;
}

export interface AccessControlDeps {
  config: AuthConfig;
  dataDir: string;
  log: Logger;
}

export async function createAccessControl(deps: AccessControlDeps): Promise<AccessControl> {
  if (deps.config.mode === 'none') {
    deps.log.warn('TELEMQ_AUTH=none: every client is anonymous and may do anything; for development only');
    return { hooks: openHooks, verifyUpgrade: async () => ({ ok: true }), close: async () => {} };
  }
  throw new AppError('CONFIG_INVALID', 'auth.mode=required is not available yet');
}
