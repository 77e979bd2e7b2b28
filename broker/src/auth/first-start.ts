// First start with no secret configured: create the HS256 secret and the admin user under dataDir
// (files with mode 0600), and print the admin login once, outside the log.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { PasswordStore } from './passwords.ts';

export const secretFileName = 'jwt-secret';
export const usersFileName = 'users.json';

/** The configured secret, else the one stored under dataDir, else a new one written there. */
export function ensureSecret(dataDir: string, configured: string | undefined, log: Logger): string {
  if (configured) return configured;
  const file = path.join(dataDir, secretFileName);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    try {
      const stored = readFileSync(file, 'utf8').trim();
      if (stored.length >= 32) return stored;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const secret = randomBytes(48).toString('base64url');
    writeFileSync(file, secret + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    log.info({ file }, 'generated a JWT secret (TELEMQ_JWT_SECRET was not set)');
    return secret;
  } catch (cause) {
    throw new AppError('SECRET_INIT_FAILED', `cannot read or create the JWT secret in ${file}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Creates the user "admin" when the users file has nobody yet. The password is the configured
 * TELEMQ_ADMIN_PASSWORD or a generated one, which is printed once through `print` (never logged).
 */
export async function ensureAdmin(store: PasswordStore, configuredPassword: string | undefined, log: Logger, print: (text: string) => void): Promise<void> {
  if (store.list().length > 0) return;
  const password = configuredPassword ?? randomBytes(18).toString('base64url');
  await store.set('admin', 'admin', password);
  if (configuredPassword) {
    log.info({ username: 'admin' }, 'created the admin user with TELEMQ_ADMIN_PASSWORD');
  } else {
    print(`\ntelemq: first start. Admin login (shown once): user "admin", password "${password}"\n` + `telemq: change it with: npm run user -- passwd admin\n\n`);
    log.info({ username: 'admin' }, 'created the admin user; its generated password was printed once on the console');
  }
}
