// Signed JWTs for tests, as a device, a console or the simulator would present them.
import { SignJWT, type JWTPayload } from 'jose';

type SigningKey = Parameters<SignJWT['sign']>[0];

export interface MintOptions {
  /** an HS256 secret as text, or a private key for `alg` */
  key: string | SigningKey;
  /** HS256 unless told */
  alg?: string;
  kid?: string;
  /** exp = now + ttlSec (600 s unless told) when the claims carry no exp */
  ttlSec?: number;
  /** nbf = now + notBeforeSec */
  notBeforeSec?: number;
  /** false: exactly the claims given, no iat and no exp added */
  stamp?: boolean;
}

export async function mintToken(claims: JWTPayload, { key, alg = 'HS256', kid, ttlSec = 600, notBeforeSec, stamp = true }: MintOptions): Promise<string> {
  const nowSec = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(claims).setProtectedHeader({ alg, ...(kid ? { kid } : {}) });
  if (stamp) {
    jwt = jwt.setIssuedAt(nowSec);
    if (claims.exp === undefined) jwt = jwt.setExpirationTime(nowSec + ttlSec);
  }
  if (notBeforeSec !== undefined) jwt = jwt.setNotBefore(nowSec + notBeforeSec);
  return jwt.sign(typeof key === 'string' ? new TextEncoder().encode(key) : key);
}
