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
const flag = z.boolean().default(false);

/**
 * Every flag once: its value's name in the usage text, its help line, its default (as it would be
 * typed, parsed by the same schema as a typed value) and its schema. The usage text, parseArgs'
 * options and the defaults all come from this table.
 */
const flagTable = {
  url: {
    value: 'URL',
    help: 'mqtt://, mqtts://, ws:// or wss://',
    default: 'mqtt://localhost:1883',
    schema: z.string().refine((v) => /^(mqtts?|wss?):\/\/[^/\s]+/.test(v) && URL.canParse(v), 'expected an mqtt://, mqtts://, ws:// or wss:// URL'),
  },
  devices: { value: 'N', help: 'number of devices', default: '10', schema: intText(1, 100_000) },
  interval: { value: 'D', help: 'time between messages of one device, e.g. 1s, 500ms', default: '1s', schema: durationMs(10) },
  rate: {
    value: 'N',
    help: 'messages per second for the whole fleet (instead of --interval)',
    schema: z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'expected messages per second, e.g. 200')
      .transform(Number)
      .pipe(z.number().positive('expected more than 0')),
  },
  profile: { value: 'P', help: profiles.join(' | '), default: 'thermostat', schema: z.enum(profiles, { message: `expected one of ${profiles.join(', ')}` }) },
  qos: { value: 'Q', help: '0, 1 or 2', default: '0', schema: z.enum(['0', '1', '2'], { message: 'expected 0, 1 or 2' }).transform((v) => Number(v) as Qos) },
  duration: { value: 'D', help: 'stop after D, e.g. 30s, 10m (default: until Ctrl-C)', schema: durationMs(1) },
  seed: { value: 'N', help: 'same seed, same values', default: '1', schema: intText(0, 2 ** 32 - 1) },
  prefix: {
    value: 'P',
    help: 'device ids P-1 .. P-N',
    default: 'sim',
    schema: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, "_", "." or "-" (it becomes part of topics)'),
  },
  token: { value: 'JWT', help: 'one ready token for every device', schema: z.string().min(1) },
  secret: { value: 'S', help: 'sign one HS256 token per device (sub = device id, role = device)', schema: z.string().min(16, 'expected at least 16 characters') },
  'token-ttl': { value: 'D', help: 'lifetime of signed tokens', default: '24h', schema: durationMs(1000) },
  password: { value: 'P', help: 'password for every device (user name = device id)', schema: z.string().min(1) },
  processes: { value: 'N', help: 'split the fleet across N worker processes', default: '1', schema: intText(1, 64) },
  scenario: { value: 'FILE', help: 'JSON or YAML file mixing profiles and counts', schema: z.string().min(1) },
  'backoff-base': { value: 'D', help: 'first reconnect delay bound', default: '1s', schema: durationMs(1) },
  'backoff-cap': { value: 'D', help: 'longest reconnect delay', default: '30s', schema: durationMs(1) },
  'connect-rate': { value: 'N', help: 'new connections per second at start', default: '500', schema: intText(1, 1_000_000) },
  'report-interval': { value: 'D', help: 'log line period when not on a terminal', default: '5s', schema: durationMs(100) },
  'connect-timeout': { value: 'D', help: 'per connection attempt', default: '10s', schema: durationMs(100) },
  insecure: { help: 'accept self-signed TLS certificates', schema: flag },
  json: { help: 'print a machine-readable summary on stdout at the end', schema: flag },
  help: { help: 'this text', schema: flag },
} satisfies Record<string, FlagDeclaration>;

interface FlagDeclaration {
  /** the value's name in the usage text; none: a boolean switch */
  value?: string;
  help: string;
  /** as it would be typed on the command line */
  default?: string;
  schema: z.ZodType;
}

type FlagName = keyof typeof flagTable;
/** a flag that takes a value and has no default may be absent */
type Absent<F> = F extends { value: string } ? (F extends { default: string } ? never : undefined) : never;
type Flags = { [K in FlagName]: z.output<(typeof flagTable)[K]['schema']> | Absent<(typeof flagTable)[K]> };
type GivenFlags = Partial<Record<FlagName, string | boolean>>;

const flagNames = Object.keys(flagTable) as FlagName[];

export const usage = [
  'Usage: npm run sim -- [flags]',
  ...flagNames.map((name) => {
    const f: FlagDeclaration = flagTable[name];
    const left = `  --${name}${f.value ? ` ${f.value}` : ''}`;
    return `${left.padEnd(24)}${f.help}${f.default !== undefined ? ` (default ${f.default})` : ''}`;
  }),
].join('\n');

const parseArgsOptions = Object.fromEntries(flagNames.map((name) => [name, { type: 'value' in flagTable[name] ? 'string' : 'boolean' }])) as Record<
  FlagName,
  { type: 'string' | 'boolean' }
>;

/** 'help' when --help was asked for; otherwise the validated config. */
export function parseFlags(argv: readonly string[]): SimConfig | 'help' {
  const given = readFlags(argv);
  if (given.help) return 'help';
  // exclusivity is about what was typed, before defaults fill in
  exclusive(given, ['token', 'secret', 'password']);
  exclusive(given, ['interval', 'rate']);
  exclusive(given, ['scenario', 'devices']);
  exclusive(given, ['scenario', 'profile']);
  const f = validate(given);
  if (f['backoff-cap'] < f['backoff-base']) throw new SimError('USAGE', '--backoff-cap: expected at least --backoff-base');

  const scenario: ScenarioGroup[] = f.scenario ? readScenario(f.scenario) : [{ profile: f.profile, count: f.devices }];
  const totalDevices = scenario.reduce((sum, g) => sum + g.count, 0);
  if (totalDevices > 100_000) throw new SimError('USAGE', `${totalDevices} devices: expected at most 100000`);
  const defaultIntervalMs = f.rate !== undefined ? Math.max(10, Math.round((totalDevices * 1000) / f.rate)) : f.interval;
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

/** Each flag through its schema, the typed value or else its default; the first problem names the flag. */
function validate(given: GivenFlags): Flags {
  const flags: Record<string, unknown> = {};
  for (const name of flagNames) {
    const f: FlagDeclaration = flagTable[name];
    const raw = given[name] ?? f.default;
    if (raw === undefined && f.value) continue;
    const result = f.schema.safeParse(raw);
    if (!result.success) throw new SimError('USAGE', `--${name}: ${result.error.issues[0]!.message}`);
    flags[name] = result.data;
  }
  return flags as Flags;
}

function readFlags(argv: readonly string[]): GivenFlags {
  try {
    const { values } = parseArgs({ args: [...argv], options: parseArgsOptions, strict: true, allowPositionals: false });
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

function credentialsOf(f: Flags): Credentials {
  if (f.token !== undefined) return { kind: 'token', token: f.token };
  if (f.secret !== undefined) return { kind: 'secret', secret: f.secret, tokenTtlSec: Math.ceil(f['token-ttl'] / 1000) };
  if (f.password !== undefined) return { kind: 'password', password: f.password };
  return { kind: 'none' };
}

/** Device ids in fleet order: PREFIX-1 .. PREFIX-N, across the groups in order. */
export function deviceIdOf(prefix: string, index: number): string {
  return `${prefix}-${index + 1}`;
}
