// `npm run token -- device ID [--ttl 30d]`: prints a device token (HS256, role device, sub ID)
// signed with the broker's secret: TELEMQ_JWT_SECRET, else the one generated under the data dir.
// Like main.ts this is a process entry point: it reads the environment and sets the exit code.
import { mintDeviceToken, parseTtlMs } from './api/device-tokens.ts';
import { isTopicSafeSubject } from './auth/acl.ts';
import { ensureSecret } from './auth/first-start.ts';
import { loadConfig } from './config.ts';
import { AppError } from './errors.ts';
import { createLogger } from './logger.ts';

const usage = `usage: npm run token -- device ID [--ttl 30d]
  prints a token for device ID (role device), valid for --ttl (s, m, h or d; default 30d)
  signed with TELEMQ_JWT_SECRET, else the secret in the data dir (TELEMQ_DATA_DIR, ./data)`;

export async function runTokenCli(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [kind, deviceId] = argv;
  const ttlIndex = argv.indexOf('--ttl');
  const ttlText = ttlIndex >= 0 ? argv[ttlIndex + 1] : '30d';
  const ttlMs = ttlText === undefined ? undefined : parseTtlMs(ttlText);
  const fail = (message: string) => {
    process.stderr.write(`${message}\n`);
    return 1;
  };
  if (kind !== 'device' || !deviceId || deviceId.startsWith('--')) return fail(usage);
  if (!isTopicSafeSubject(deviceId)) return fail('a device id is one topic level: no / + # or control characters');
  if (ttlMs === undefined) return fail(`${usage}\n\n--ttl: a number with s, m, h or d, at most 3650d`);
  const config = loadConfig(env);
  if (config.auth.jwtPublicKeyFile && !config.auth.jwtSecret) process.stderr.write('note: RS256/ES256 keys are configured; this token is HS256 with the secret, which the broker also accepts\n');
  const secret = ensureSecret(config.dataDir, config.auth.jwtSecret, createLogger('warn', process.stderr));
  const minted = await mintDeviceToken(secret, deviceId, ttlMs);
  process.stdout.write(`${minted.token}\n`);
  process.stderr.write(`device ${deviceId}, expires ${new Date(minted.expiresAt).toISOString()}\n`);
  return 0;
}

runTokenCli(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`telemq token: ${err instanceof AppError || err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
