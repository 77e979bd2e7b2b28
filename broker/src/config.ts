import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { consoleConfigSchema } from './api/console-settings.ts';
import { authConfigSchema } from './auth/config.ts';
import { bridgeConfigSchema } from './bridge/config.ts';
import { AppError } from './errors.ts';
import { guardsConfigSchema } from './guards/config.ts';
import { liveConfigSchema } from './live/config.ts';
import { storeConfigSchema } from './stores/config.ts';
import { transportConfigSchema } from './transport/config.ts';

export const configSchema = z
  .object({
    /** embedded store, spool, generated secrets */
    dataDir: z.string().min(1).default('./data'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** redis://host:6379; unset: one process with in-memory routing and persistence */
    redisUrl: z.string().url().optional(),
    /** id used in $SYS topics; default a random id per process */
    brokerId: z.string().min(1).optional(),
    sysIntervalMs: z.number().int().min(100).default(5000),
    shutdownTimeoutMs: z.number().int().min(100).default(10_000),
    transport: transportConfigSchema.prefault({}),
    auth: authConfigSchema.prefault({}),
    guards: guardsConfigSchema.prefault({}),
    bridge: bridgeConfigSchema.prefault({}),
    live: liveConfigSchema.prefault({}),
    /** how the console shows fields (unit, label, precision) and when a device is stale */
    console: consoleConfigSchema.prefault({}),
    store: storeConfigSchema.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variables and the config key each sets; env overrides the file. */
const envKeys = {
  TELEMQ_HOST: ['transport', 'host'],
  TELEMQ_MQTT_PORT: ['transport', 'mqttPort'],
  TELEMQ_MQTTS_PORT: ['transport', 'mqttsPort'],
  TELEMQ_HTTP_PORT: ['transport', 'httpPort'],
  TELEMQ_DATA_DIR: ['dataDir'],
  TELEMQ_INFLUX_URL: ['store', 'influxUrl'],
  TELEMQ_REDIS_URL: ['redisUrl'],
  TELEMQ_JWT_SECRET: ['auth', 'jwtSecret'],
  TELEMQ_JWT_PUBLIC_KEY: ['auth', 'jwtPublicKeyFile'],
  TELEMQ_ADMIN_PASSWORD: ['auth', 'adminPassword'],
  TELEMQ_AUTH: ['auth', 'mode'],
  TELEMQ_LOG_LEVEL: ['logLevel'],
  TELEMQ_BROKER_ID: ['brokerId'],
  TELEMQ_SYS_INTERVAL_MS: ['sysIntervalMs'],
  TELEMQ_SHUTDOWN_TIMEOUT_MS: ['shutdownTimeoutMs'],
  TELEMQ_WS_PING_INTERVAL_MS: ['transport', 'ws', 'pingIntervalMs'],
  TELEMQ_KEEPALIVE_LIMIT_SEC: ['transport', 'keepaliveLimitSec'],
} as const satisfies Record<string, readonly string[]>;

/** Every TELEMQ_* variable the broker reads (TELEMQ_CONFIG and the TLS pair are read in loadConfig). */
export const configEnvNames: readonly string[] = [...Object.keys(envKeys), 'TELEMQ_CONFIG', 'TELEMQ_TLS_CERT', 'TELEMQ_TLS_KEY'];

const numericKeys = new Set(['mqttPort', 'mqttsPort', 'httpPort', 'sysIntervalMs', 'shutdownTimeoutMs', 'pingIntervalMs', 'keepaliveLimitSec']);

/**
 * Builds the one validated, frozen Config from an optional file (TELEMQ_CONFIG, JSON or YAML)
 * and TELEMQ_* variables. A bad value throws CONFIG_INVALID naming the key and what was expected.
 */
export function loadConfig(env: Record<string, string | undefined>, overrides: ConfigInput = {}): Config {
  const fromFile = env.TELEMQ_CONFIG ? readConfigFile(env.TELEMQ_CONFIG) : {};
  const merged = deepMerge(deepMerge(fromFile, overrides as Record<string, unknown>), envToObject(env));
  const tlsCert = env.TELEMQ_TLS_CERT;
  const tlsKey = env.TELEMQ_TLS_KEY;
  if (tlsCert !== undefined || tlsKey !== undefined) {
    if (!tlsCert || !tlsKey) throw invalid('transport.tls', 'TELEMQ_TLS_CERT and TELEMQ_TLS_KEY must be set together');
    merged.transport = { ...(merged.transport as object), tls: { certFile: tlsCert, keyFile: tlsKey } };
  }
  return parseConfig(merged);
}

export function parseConfig(input: unknown): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw invalid(issue.path.join('.') || '(root)', issue.message);
  }
  return deepFreeze(result.data);
}

function invalid(key: string, expected: string): AppError {
  const envName = Object.entries(envKeys).find(([, keys]) => keys.join('.') === key)?.[0];
  return new AppError('CONFIG_INVALID', `invalid config ${key}${envName ? ` (${envName})` : ''}: ${expected}`);
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new AppError('CONFIG_INVALID', `cannot read config file ${file} (TELEMQ_CONFIG)`, { cause });
  }
  try {
    const value: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (cause) {
    throw new AppError('CONFIG_INVALID', `config file ${file} (TELEMQ_CONFIG) is not a JSON or YAML object`, { cause });
  }
}

function envToObject(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, keys] of Object.entries(envKeys)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const leaf = keys[keys.length - 1]!;
    let value: unknown = raw;
    if (numericKeys.has(leaf)) {
      value = /^\d+$/.test(raw) ? Number(raw) : raw;
    }
    let node = out;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[leaf] = value;
  }
  return out;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
