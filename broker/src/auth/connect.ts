// CONNECT authentication: a JWT in the password field (or the token the WebSocket upgrade carried),
// else a user name and password from the users file. Bad credentials get CONNACK 0x04; credentials
// that are valid but do not entitle this client (missing, unknown role, a device whose client id is
// not its subject, an id held by a device) get 0x05. Without credentials a client gets
// auth.anonymousRole when it is set.
import { ConnackCode, type AuthResult, type BrokerHooks, type ClientRef } from '../broker/types.ts';
import type { Identity } from '../contract/index.ts';
import type { RefusalReason, Refusals } from '../guards/refusals.ts';
import { isTopicSafeSubject } from './acl.ts';
import type { AuthFailureLimiter } from './index.ts';
import type { KnownDevices } from './known-devices.ts';
import type { PasswordChecker } from './password-check.ts';
import { looksLikeJwt, type TokenService } from './tokens.ts';

export interface ConnectAuthDeps {
  tokens: TokenService;
  passwords: PasswordChecker;
  acl: { knowsRole(role: string): boolean };
  limiter: AuthFailureLimiter;
  refusals: Refusals;
  devices: KnownDevices;
  /** role of clients without credentials; undefined: they are refused */
  anonymousRole?: string | undefined;
}

type RefusalCode = typeof ConnackCode.badCredentials | typeof ConnackCode.notAuthorized | typeof ConnackCode.serverUnavailable;

export function createConnectAuthenticator(deps: ConnectAuthDeps): BrokerHooks['authenticate'] {
  const { tokens, passwords, acl, limiter, refusals, devices, anonymousRole } = deps;

  function refuse(client: ClientRef, reason: RefusalReason, returnCode: RefusalCode): AuthResult {
    const { remoteAddress } = client.context;
    // a flood is logged once per address, not once per connection
    const logKey = reason === 'failed-auth-rate' || reason === 'password-check-busy' ? remoteAddress : client.context;
    refusals.refuse(reason, logKey, { clientId: client.id, remoteAddress });
    // a wrong password was counted when its check was reserved; a bad token is counted here
    if (reason === 'bad-token') limiter.recordFailure(remoteAddress);
    return { ok: false, returnCode, reason };
  }

  async function identify(client: ClientRef, username: string | undefined, password: Buffer | undefined): Promise<Identity | AuthResult> {
    const secret = password && password.length > 0 ? password.toString('utf8') : undefined;
    if (secret !== undefined && looksLikeJwt(secret)) {
      const check = await tokens.verify(secret);
      return check.ok ? check.identity : refuse(client, 'bad-token', ConnackCode.badCredentials);
    }
    if (secret !== undefined && username) {
      const user = await passwords.check(username, secret, client.context.remoteAddress);
      if (user.ok) return { subject: username, role: user.role };
      // refusals by the limiter (0x05, as before) and by the full queue (0x03: try again shortly)
      // are not failed checks: only a wrong password counts toward the limits
      if (user.reason === 'failed-auth-rate') return refuse(client, 'failed-auth-rate', ConnackCode.notAuthorized);
      if (user.reason === 'password-check-busy') return refuse(client, 'password-check-busy', ConnackCode.serverUnavailable);
      return refuse(client, 'bad-password', ConnackCode.badCredentials);
    }
    const transportToken = client.context.transportToken;
    if (transportToken) {
      const check = await tokens.verify(transportToken);
      return check.ok ? check.identity : refuse(client, 'bad-token', ConnackCode.badCredentials);
    }
    if (anonymousRole !== undefined) return { subject: 'anonymous', role: anonymousRole };
    return refuse(client, 'no-credentials', ConnackCode.notAuthorized);
  }

  return async function authenticate(client, username, password) {
    const found = await identify(client, username, password);
    if ('ok' in found) return found;
    const identity = found;
    if (!acl.knowsRole(identity.role) || !isTopicSafeSubject(identity.subject)) return refuse(client, 'unknown-role', ConnackCode.notAuthorized);
    // A device is its client id: nobody can publish as another device or take over its session.
    // 0x05, not 0x02: the id is refused to this identity only (the device's own token gets it).
    if (identity.role === 'device') {
      if (client.id !== identity.subject) return refuse(client, 'client-id-mismatch', ConnackCode.notAuthorized);
      devices.add(identity.subject);
    } else if (devices.has(client.id)) {
      return refuse(client, 'client-id-taken', ConnackCode.notAuthorized);
    }
    return { ok: true, identity };
  };
}
