// Guess flood: 500 CONNECTs with wrong passwords outstanding at all times (bench/guess-flood-worker.ts,
// its own process, pre-encoded packets, distinct unknown user names), while a device with valid
// credentials connects every half second: its connect latency (TCP connect to CONNACK, MQTT.js).
//
//   npm run build && node --conditions=source --import tsx bench/guess-flood.ts \
//     [--runs 3] [--seconds 10] [--concurrent 500] [--brokers telemq,telemq-unbounded,mosquitto]
//
// telemq: the defaults (scrypt N = 2^15, checks at a time: half the cores, 200 waiting), the device
// with a JWT; the per-address limits are lifted, as if every guess came from another address (a
// botnet), so every guess reaches the password queue (--check-concurrency N overrides the number of
// checks at a time). telemq-one-address: the default limits, every guess from 127.0.0.1. telemq-unbounded: the same with 64 checks at a time and
// no queue bound, which is how every check ran on the shared libuv pool before the bound.
// mosquitto: a password_file (mosquitto_passwd) and a device with its password, for reference.
// Reported: median and max latency over all runs, the latency with no flood, the guesses answered,
// the broker's and the flood generator's CPU seconds. Results: stdout, bench/results/guess-flood-<time>.json.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import mqtt from 'mqtt';
import { freePort, waitFor } from '../test/support/net.ts';
import { flagValue, median, portOpen, root, sampleProcessTree, sleep, stopChild } from './sim-support.ts';

const runs = Number(flagValue('runs', '3'));
const seconds = Number(flagValue('seconds', '10'));
const concurrent = Number(flagValue('concurrent', '500'));
const brokerNames = flagValue('brokers', 'telemq,telemq-one-address,telemq-unbounded,mosquitto').split(',');
const checkConcurrency = flagValue('check-concurrency', '');
const jwtSecret = 'flood-jwt-secret-0123456789abcdef';
const devicePassword = 'device-password-0123456789';

interface FloodBroker {
  child: ChildProcess;
  port: number;
  /** MQTT.js options of the legitimate device */
  device(): Promise<mqtt.IClientOptions>;
  dir: string;
}

async function startTelemq(variant: string): Promise<FloodBroker> {
  const dir = mkdtempSync(path.join(tmpdir(), 'telemq-flood-'));
  const configFile = path.join(dir, 'config.json');
  const auth = variant === 'telemq-unbounded' ? { passwordCheckConcurrency: 64, passwordCheckMaxQueued: 1_000_000 } : checkConcurrency ? { passwordCheckConcurrency: Number(checkConcurrency) } : {};
  // every guess from another address (the limit lifted), or all from this one (the default limits)
  const perAddress = variant === 'telemq-one-address' ? {} : { connectAttemptsPerIpPerMin: 10_000_000, failedAuthPerIpPerMin: 10_000_000 };
  writeFileSync(configFile, JSON.stringify({ auth, guards: { maxConnectionsPerIp: 25_000, ...perAddress }, bridge: { enabled: false } }));
  const port = await freePort();
  const env = { ...process.env, TELEMQ_CONFIG: configFile, TELEMQ_HOST: '127.0.0.1', TELEMQ_MQTT_PORT: String(port), TELEMQ_HTTP_PORT: String(await freePort()), TELEMQ_DATA_DIR: dir, TELEMQ_LOG_LEVEL: 'error', TELEMQ_JWT_SECRET: jwtSecret, TELEMQ_ADMIN_PASSWORD: 'admin-password-0123' };
  const child = spawn(process.execPath, [...(process.env.FLOOD_NODE_ARGS?.split(' ').filter(Boolean) ?? []), path.join(root, 'broker/dist/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const device = async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ role: 'device' }).setProtectedHeader({ alg: 'HS256' }).setSubject('d1').setIssuedAt(nowSec).setExpirationTime(nowSec + 600).sign(new TextEncoder().encode(jwtSecret));
    return { clientId: 'd1', username: 'd1', password: token };
  };
  return { child, port, dir, device };
}

async function startMosquitto(): Promise<FloodBroker> {
  const dir = mkdtempSync(path.join(tmpdir(), 'telemq-flood-mosquitto-'));
  const passwords = path.join(dir, 'passwords');
  writeFileSync(passwords, `d1:${devicePassword}\n`, { mode: 0o600 });
  execFileSync('/usr/bin/mosquitto_passwd', ['-U', passwords]);
  const port = await freePort();
  const config = path.join(dir, 'mosquitto.conf');
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${passwords}\npersistence false\nlog_dest none\nmax_connections -1\n# keep the rights to read the password file when started as root\nuser root\n`);
  const child = spawn('/usr/sbin/mosquitto', ['-c', config], { stdio: ['ignore', 'ignore', 'ignore'] });
  return { child, port, dir, device: async () => ({ clientId: 'd1', username: 'd1', password: devicePassword }) };
}

/** Connect latency in ms, or NaN when the connection is refused (e.g. by the per-address connect rate). */
async function connectLatencyMs(port: number, options: mqtt.IClientOptions): Promise<number> {
  const startedMs = performance.now();
  try {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { ...options, reconnectPeriod: 0, connectTimeout: 60_000 });
    const ms = performance.now() - startedMs;
    client.on('error', () => {});
    await client.endAsync(true);
    return ms;
  } catch {
    return Number.NaN;
  }
}

interface FloodResult {
  broker: string;
  run: number;
  idleMs: number;
  latenciesMs: number[];
  /** valid connects refused during the flood */
  refused: number;
  guesses: { attempts: number; codes: Record<string, number>; cpuSec: number };
  brokerCpuS: number;
}

async function flood(name: string, run: number): Promise<FloodResult> {
  const broker = name === 'mosquitto' ? await startMosquitto() : await startTelemq(name);
  try {
    await waitFor(() => portOpen(broker.port), 30_000, `${name} listening`);
    await connectLatencyMs(broker.port, await broker.device()); // warm-up
    const idle: number[] = [];
    for (let i = 0; i < 5; i++) idle.push(await connectLatencyMs(broker.port, await broker.device()));
    const brokerBefore = sampleProcessTree(broker.child.pid!).cpuSec;
    const worker = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(root, 'bench/guess-flood-worker.ts'), '--port', String(broker.port), '--concurrent', String(concurrent), '--seconds', String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    worker.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await waitFor(() => out.includes('flooding'), 60_000, 'the flood to start');
    await sleep(1000); // every guess outstanding
    const latenciesMs: number[] = [];
    const untilMs = Date.now() + (seconds - 2) * 1000;
    while (Date.now() < untilMs) {
      latenciesMs.push(await connectLatencyMs(broker.port, await broker.device()));
      await sleep(500);
    }
    await exited;
    const brokerCpuS = sampleProcessTree(broker.child.pid!).cpuSec - brokerBefore;
    const guesses = JSON.parse(out.split('\n').find((l) => l.startsWith('{')) ?? '{}') as FloodResult['guesses'];
    const answered = latenciesMs.filter(Number.isFinite);
    const result = { broker: name, run, idleMs: median(idle), latenciesMs: answered.map(Math.round), refused: latenciesMs.length - answered.length, guesses, brokerCpuS };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await stopChild(broker.child);
    rmSync(broker.dir, { recursive: true, force: true });
  }
}

const results: FloodResult[] = [];
for (let run = 1; run <= runs; run++) for (const name of brokerNames) results.push(await flood(name, run));

console.log(`\nguess flood: ${concurrent} wrong-password CONNECTs outstanding for ${seconds} s, a valid device connecting every 0.5 s; ${runs} runs`);
console.log('| broker | connect latency, no flood | during the flood: median | max | valid connects refused | guesses answered per run | broker CPU s | flood CPU s |');
console.log('|---|---|---|---|---|---|---|---|');
const summary = brokerNames.map((name) => {
  const of = results.filter((r) => r.broker === name);
  const all = of.flatMap((r) => r.latenciesMs);
  const row = { broker: name, idleMs: median(of.map((r) => r.idleMs)), medianMs: median(all), maxMs: Math.max(...all), refused: of.reduce((a, r) => a + r.refused, 0), answered: median(of.map((r) => r.guesses.attempts)), brokerCpuS: median(of.map((r) => r.brokerCpuS)), floodCpuS: median(of.map((r) => r.guesses.cpuSec)) };
  console.log(`| ${name} | ${row.idleMs.toFixed(0)} ms | ${row.medianMs.toFixed(0)} ms | ${row.maxMs.toFixed(0)} ms | ${row.refused} | ${row.answered} | ${row.brokerCpuS.toFixed(1)} | ${row.floodCpuS.toFixed(1)} |`);
  return row;
});
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, `bench/results/guess-flood-${Date.now()}.json`), JSON.stringify({ runs, seconds, concurrent, results, summary }, null, 2));
