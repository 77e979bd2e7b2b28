// JWT verification and signing with jose. HS256 with the shared secret; RS256 / ES256 with a public
// key given as a PEM file or a JWKS file. jose's jwtVerify never accepts `alg: none`, and the
// allowed algorithms are pinned per key type so an HS256 token cannot be "signed" with a public key.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT, createLocalJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Identity } from '../contract/index.ts';
import { AppError } from '../errors.ts';

export type TokenCheck = { ok: true; identity: Identity; expiresAtMs: number | null } | { ok: false; reason: TokenRefusal };

export type TokenRefusal = 'token_expired' | 'token_not_yet_valid' | 'token_without_exp' | 'token_claims' | 'token_signature' | 'token_malformed' | 'token_algorithm';

export interface TokenOptions {
  secret: string;
  publicKeyFile?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  clockToleranceSec: number;
  /** accept tokens without `exp`; otherwise they are refused ('token_without_exp') */
  allowTokensWithoutExp?: boolean | undefined;
}

export interface TokenService {
  verify(token: string): Promise<TokenCheck>;
  /** HS256 token for a user that logged in with a password */
  sign(identity: Identity, ttlSec: number): Promise<{ token: string; expiresAtMs: number }>;
}

const asymmetricAlgorithms = ['RS256', 'ES256'];

export function createTokenService(options: TokenOptions): TokenService {
  // Imported once: given the raw bytes, jose imports the key again on every verify, a sixth of the
  // CPU of a token check.
  const secretKey = crypto.subtle.importKey('raw', new TextEncoder().encode(options.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  const publicKeys = options.publicKeyFile ? loadPublicKeys(options.publicKeyFile) : null;

  // Picks the key by the header's alg: HS256 → the secret, RS256/ES256 → the configured public key.
  const keyFor: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256') return await secretKey;
    if (publicKeys && asymmetricAlgorithms.includes(header.alg)) return publicKeys(header, token);
    throw new errors.JOSEAlgNotAllowed(`alg ${header.alg} is not accepted`);
  };
  const verifyOptions = {
    algorithms: publicKeys ? ['HS256', ...asymmetricAlgorithms] : ['HS256'],
    clockTolerance: options.clockToleranceSec,
    requiredClaims: options.allowTokensWithoutExp ? [] : ['exp'],
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  };

  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keyFor, verifyOptions);
        // jose checks `nbf` and `exp`, and `iat` only with maxTokenAge: a token issued in the future is refused here.
        if (payload.iat !== undefined && payload.iat > Date.now() / 1000 + options.clockToleranceSec) return { ok: false, reason: 'token_not_yet_valid' };
        const identity = identityOf(payload);
        if (!identity) return { ok: false, reason: 'token_claims' };
        return { ok: true, identity, expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : null };
      } catch (err) {
        return { ok: false, reason: refusalOf(err) };
      }
    },
    async sign(identity, ttlSec) {
      const nowSec = Math.floor(Date.now() / 1000);
      let jwt = new SignJWT({ role: identity.role }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(identity.subject).setIssuedAt(nowSec).setExpirationTime(nowSec + ttlSec);
      if (options.issuer) jwt = jwt.setIssuer(options.issuer);
      if (options.audience) jwt = jwt.setAudience(options.audience);
      return { token: await jwt.sign(await secretKey), expiresAtMs: (nowSec + ttlSec) * 1000 };
    },
  };
}

function identityOf(payload: JWTPayload): Identity | null {
  const role = payload.role;
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || typeof role !== 'string' || role.length === 0) return null;
  return { subject: payload.sub, role };
}

function refusalOf(err: unknown): TokenRefusal {
  if (err instanceof errors.JWTExpired) return 'token_expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'exp' && err.reason === 'missing') return 'token_without_exp';
    return err.claim === 'nbf' || err.claim === 'iat' ? 'token_not_yet_valid' : 'token_claims';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'token_signature';
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return 'token_algorithm';
  if (err instanceof errors.JWKSNoMatchingKey) return 'token_signature';
  return 'token_malformed';
}

/** A PEM public key (RSA → RS256, EC P-256 → ES256) or a JWKS document. */
function loadPublicKeys(file: string): JWTVerifyGetKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new AppError('CONFIG_INVALID', `cannot read auth.jwtPublicKeyFile (TELEMQ_JWT_PUBLIC_KEY) ${file}`, { cause });
  }
  if (text.trimStart().startsWith('{')) {
    try {
      return createLocalJWKSet(JSON.parse(text) as Parameters<typeof createLocalJWKSet>[0]);
    } catch (cause) {
      throw new AppError('CONFIG_INVALID', `auth.jwtPublicKeyFile (TELEMQ_JWT_PUBLIC_KEY) ${file} is not a JWKS document`, { cause });
    }
  }
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch (cause) {
    throw new AppError('CONFIG_INVALID', `auth.jwtPublicKeyFile (TELEMQ_JWT_PUBLIC_KEY) ${file} is not a PEM public key`, { cause });
  }
  const alg = key.asymmetricKeyType === 'rsa' ? 'RS256' : key.asymmetricKeyType === 'ec' ? 'ES256' : null;
  if (!alg) throw new AppError('CONFIG_INVALID', `auth.jwtPublicKeyFile (TELEMQ_JWT_PUBLIC_KEY) ${file}: only RSA (RS256) and EC P-256 (ES256) keys are supported`);
  return async (header) => {
    if (header.alg !== alg) throw new errors.JOSEAlgNotAllowed(`this public key verifies ${alg} only`);
    return key;
  };
}

/** A compact JWS: three base64url parts, the header a JSON object (`eyJ` is `{"`); anything else in the password field is a password. */
export function looksLikeJwt(value: string): boolean {
  return value.startsWith('eyJ') && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(value);
}
