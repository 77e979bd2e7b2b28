// Flags parsed and validated once. Anything wrong ends with a SimError naming the flag.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseDurationMs } from './duration.ts';
import { SimError } from './errors.ts';
import { readScenario, type ScenarioGroup } from './scenario.ts';
import { profiles, type Profile } from './signals/index.ts';

export type Qos = 0 | 1 | 2;

export interface DeviceGroup {
  profile: Profile;
  count: number;
  intervalMs: number;
  qos: Qos;
}

export type Credentials =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  | { kind: 'secret'; secret: string; tokenTtlSec: number }
  | { kind: 'password'; password: string };

export interface SimConfig {
  url: string;
  groups: DeviceGroup[];
  totalDevices: number;
  /** null: run until interrupted */
  durationMs: number | null;
  seed: number;
  prefix: string;
  credentials: Credentials;
  processes: number;
  json: boolean;
  backoff: { baseMs: number; capMs: number };
  /** new connections per second at start, across the whole fleet */
  connectRatePerSec: number;
  /** how often a log line is written when the output is not a terminal */
  reportIntervalMs: number;
  connectTimeoutMs: number;
  /** accept self-signed certificates on mqtts:// and wss:// */
  insecure: boolean;
}

export const usage = `Usage: npm run sim -- [flags]
  --url URL             mqtt://, mqtts://, ws:// or wss:// (default mqtt://localhost:1883)
  --devices N           number of devices (default 10)
  --interval D          time between messages of one device, e.g. 1s, 500ms (default 1s)
  --rate N              messages per second for the whole fleet (instead of --interval)
  --profile P           thermostat | power-meter | gps-tracker (default thermostat)
  --qos Q               0, 1 or 2 (default 0)
  --duration D          stop after D, e.g. 30s, 10m (default: until Ctrl-C)
  --seed N              same seed, same values (default 1)
  --prefix P            device ids P-1 .. P-N (default sim)
  --token JWT           one ready token for every device
  --secret S            sign one HS256 token per device (sub = device id, role = device)
  --token-ttl D         lifetime of signed tokens (default 24h)
  --password P          password for every device (user name = device id)
  --processes N         split the fleet across N worker processes (default 1)
  --scenario FILE       JSON or YAML file mixing profiles and counts
  --backoff-base D      first reconnect delay bound (default 1s)
  --backoff-cap D       longest reconnect delay (default 30s)
  --connect-rate N      new connections per second at start (default 500)
  --report-interval D   log line period when not on a terminal (default 5s)
  --connect-timeout D   per connection attempt (default 10s)
  --insecure            accept self-signed TLS certificates
  --json                print a machine-readable summary on stdout at the end
  --help`;

const flagSpec = {
  url: { type: 'string' },
  devices: { type: 'string' },
  interval: { type: 'string' },
  rate: { type: 'string' },
  profile: { type: 'string' },
  qos: { type: 'string' },
  duration: { type: 'string' },
  seed: { type: 'string' },
  prefix: { type: 'string' },
  token: { type: 'string' },
  secret: { type: 'string' },
  'token-ttl': { type: 'string' },
  password: { type: 'string' },
  processes: { type: 'string' },
  scenario: { type: 'string' },
  'backoff-base': { type: 'string' },
  'backoff-cap': { type: 'string' },
  'connect-rate': { type: 'string' },
  'report-interval': { type: 'string' },
  'connect-timeout': { type: 'string' },
  insecure: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

type Flags = Partial<Record<keyof typeof flagSpec, string | boolean>>;

const intText = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `expected at least ${min}`).max(max, `expected at most ${max}`));
const durationMs = (minMs: number) =>
  z
    .string()
    .transform((v, ctx) => {
      const ms = parseDurationMs(v);
      if (ms === undefined) ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration such as 500ms, 1s, 2m or 1h` });
      return ms ?? 0;
    })
    .pipe(z.number().min(minMs, `expected at least ${minMs} ms`));

const flagsSchema = z.object({
  url: z
    .string()
    .default('mqtt://localhost:1883')
    .refine((v) => /^(mqtts?|wss?):\/\/[^/\s]+/.test(v) && URL.canParse(v), 'expected an mqtt://, mqtts://, ws:// or wss:// URL'),
  devices: intText(1, 100_000).optional(),
  interval: durationMs(10).optional(),
  rate: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'expected messages per second, e.g. 200')
    .transform(Number)
    .pipe(z.number().positive('expected more than 0'))
    .optional(),
  profile: z.enum(profiles, { message: `expected one of ${profiles.join(', ')}` }).optional(),
  qos: z.enum(['0', '1', '2'], { message: 'expected 0, 1 or 2' }).default('0').transform((v) => Number(v) as Qos),
  duration: durationMs(1).optional(),
  seed: intText(0, 2 ** 32 - 1).default(1),
  prefix: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, "_", "." or "-" (it becomes part of topics)').default('sim'),
  token: z.string().min(1).optional(),
  secret: z.string().min(16, 'expected at least 16 characters').optional(),
  'token-ttl': durationMs(1000).default(86_400_000),
  password: z.string().min(1).optional(),
  processes: intText(1, 64).default(1),
  scenario: z.string().min(1).optional(),
  'backoff-base': durationMs(1).default(1000),
  'backoff-cap': durationMs(1).default(30_000),
  'connect-rate': intText(1, 1_000_000).default(500),
  'report-interval': durationMs(100).default(5000),
  'connect-timeout': durationMs(100).default(10_000),
  insecure: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** 'help' when --help was asked for; otherwise the validated config. */
export function parseFlags(argv: readonly string[]): SimConfig | 'help' {
  const flags = readFlags(argv);
  if (flags.help) return 'help';
  const result = flagsSchema.safeParse(flags);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new SimError('USAGE', `--${issue.path.join('.')}: ${issue.message}`);
  }
  const f = result.data;
  exclusive(f, ['token', 'secret', 'password']);
  exclusive(f, ['interval', 'rate']);
  exclusive(f, ['scenario', 'devices']);
  exclusive(f, ['scenario', 'profile']);
  if (f['backoff-cap'] < f['backoff-base']) throw new SimError('USAGE', '--backoff-cap: expected at least --backoff-base');

  const scenario: ScenarioGroup[] = f.scenario ? readScenario(f.scenario) : [{ profile: f.profile ?? 'thermostat', count: f.devices ?? 10 }];
  const totalDevices = scenario.reduce((sum, g) => sum + g.count, 0);
  if (totalDevices > 100_000) throw new SimError('USAGE', `${totalDevices} devices: expected at most 100000`);
  const defaultIntervalMs = f.rate !== undefined ? Math.max(10, Math.round((totalDevices * 1000) / f.rate)) : (f.interval ?? 1000);
  const groups = scenario.map((g) => ({
    profile: g.profile,
    count: g.count,
    intervalMs: g.interval !== undefined ? parseDurationMs(g.interval)! : defaultIntervalMs,
    qos: g.qos ?? f.qos,
  }));
  if (f.processes > totalDevices) throw new SimError('USAGE', `--processes: expected at most the number of devices (${totalDevices})`);

  return {
    url: f.url,
    groups,
    totalDevices,
    durationMs: f.duration ?? null,
    seed: f.seed,
    prefix: f.prefix,
    credentials: credentialsOf(f),
    processes: f.processes,
    json: f.json,
    backoff: { baseMs: f['backoff-base'], capMs: f['backoff-cap'] },
    connectRatePerSec: f['connect-rate'],
    reportIntervalMs: f['report-interval'],
    connectTimeoutMs: f['connect-timeout'],
    insecure: f.insecure,
  };
}

function readFlags(argv: readonly string[]): Flags {
  try {
    const { values } = parseArgs({ args: [...argv], options: flagSpec, strict: true, allowPositionals: false });
    return values;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const arg = /'([^']+)'/.exec((err as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new SimError('USAGE', `${arg} is not a flag (see --help)`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new SimError('USAGE', `unexpected argument ${arg} (flags look like --devices 100; see --help)`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new SimError('USAGE', `${(err as Error).message.split('\n')[0]} (see --help)`);
    throw err;
  }
}

function exclusive(flags: Record<string, unknown>, names: string[]): void {
  const given = names.filter((n) => flags[n] !== undefined);
  if (given.length > 1) throw new SimError('USAGE', `${given.map((n) => `--${n}`).join(' and ')} cannot be used together`);
}

function credentialsOf(f: z.infer<typeof flagsSchema>): Credentials {
  if (f.token !== undefined) return { kind: 'token', token: f.token };
  if (f.secret !== undefined) return { kind: 'secret', secret: f.secret, tokenTtlSec: Math.ceil(f['token-ttl'] / 1000) };
  if (f.password !== undefined) return { kind: 'password', password: f.password };
  return { kind: 'none' };
}

/** Device ids in fleet order: PREFIX-1 .. PREFIX-N, across the groups in order. */
export function deviceIdOf(prefix: string, index: number): string {
  return `${prefix}-${index + 1}`;
}
