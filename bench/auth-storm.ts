// Reconnect storm: N devices with passwords (user name = device id) are connected through the
// simulator (MQTT.js over TCP, several worker processes); the broker is killed (SIGKILL) and
// started again on the same ports, and we time how long it takes until every device is connected
// again, side by side with Mosquitto (password_file made by mosquitto_passwd) under the same storm.
//
//   npm run build && node --conditions=source --import tsx bench/auth-storm.ts \
//     [--devices 10000] [--runs 3] [--processes 4] [--scheme machine|scrypt] [--brokers telemq,mosquitto]
//
// --scheme machine: secrets stored as hmac-sha256 (`npm run user -- add NAME --role device
// --generate-secret`); --scheme scrypt: the same secret as a scrypt hash at N = 2^15 (the default
// for people's passwords). Time is from the restarted broker's port opening to the first simulator
// report (once a second) with every device connected; the broker's and the simulator's CPU seconds
// over that interval are reported too. Results: stdout and bench/results/auth-storm-<time>.json.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashMachineSecret, hashPassword } from '../broker/src/auth/passwords.ts';
import { freePort, waitFor } from '../test/support/net.ts';
import { flagValue, median, portOpen, root, sampleProcessTree, sleep, startSimulator, stopChild } from './sim-support.ts';

const devices = Number(flagValue('devices', '10000'));
const runs = Number(flagValue('runs', '3'));
const processes = Number(flagValue('processes', '4'));
const scheme = flagValue('scheme', 'machine') === 'scrypt' ? 'scrypt' : 'machine';
const brokerNames = flagValue('brokers', 'telemq,mosquitto').split(',');
const secret = 'storm-secret-0123456789-abcdefghijklmnopqrstuv'; // 47 characters, as long as a generated one
const prefix = 'dev';

interface StormBroker {
  /** starts (or restarts) the broker process on its fixed port */
  start(): Promise<ChildProcess>;
  port: number;
  dir: string;
}

async function telemqBroker(): Promise<StormBroker> {
  const dir = mkdtempSync(path.join(tmpdir(), 'telemq-storm-'));
  const hash = scheme === 'machine' ? null : await hashPassword(secret, 15);
  const users: Record<string, { role: string; hash: string }> = {};
  for (let i = 1; i <= devices; i++) users[`${prefix}-${i}`] = { role: 'device', hash: hash ?? hashMachineSecret(secret) };
  writeFileSync(path.join(dir, 'users.json'), JSON.stringify({ users }), { mode: 0o600 });
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ guards: { maxConnectionsPerIp: 25_000, connectAttemptsPerIpPerMin: 1_000_000 }, bridge: { enabled: false } }));
  const port = await freePort();
  const httpPort = await freePort();
  const env = { ...process.env, TELEMQ_CONFIG: configFile, TELEMQ_HOST: '127.0.0.1', TELEMQ_MQTT_PORT: String(port), TELEMQ_HTTP_PORT: String(httpPort), TELEMQ_DATA_DIR: dir, TELEMQ_LOG_LEVEL: 'error', TELEMQ_JWT_SECRET: 'storm-jwt-secret-0123456789abcdef' };
  return { port, dir, start: async () => spawn(process.execPath, [...(process.env.STORM_NODE_ARGS?.split(' ').filter(Boolean) ?? []), path.join(root, 'broker/dist/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] }) };
}

async function mosquittoBroker(): Promise<StormBroker> {
  const dir = mkdtempSync(path.join(tmpdir(), 'telemq-storm-mosquitto-'));
  const passwords = path.join(dir, 'passwords');
  const lines = Array.from({ length: devices }, (_, i) => `${prefix}-${i + 1}:${secret}`);
  writeFileSync(passwords, lines.join('\n') + '\n', { mode: 0o600 });
  execFileSync('/usr/bin/mosquitto_passwd', ['-U', passwords]);
  const port = await freePort();
  const config = path.join(dir, 'mosquitto.conf');
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${passwords}\npersistence false\nlog_dest none\nmax_connections -1\n# keep the rights to read the password file when started as root\nuser root\n`);
  return { port, dir, start: async () => spawn('/usr/sbin/mosquitto', ['-c', config], { stdio: ['ignore', 'ignore', 'inherit'] }) };
}

interface StormResult {
  broker: string;
  run: number;
  devices: number;
  scheme: string;
  reconnectedS: number | null;
  brokerCpuS: number;
  simCpuS: number;
}

async function storm(name: string, run: number): Promise<StormResult> {
  const broker = name === 'mosquitto' ? await mosquittoBroker() : await telemqBroker();
  let child = await broker.start();
  await waitFor(() => portOpen(broker.port), 30_000, `${name} listening`);
  const sim = startSimulator(['--url', `mqtt://127.0.0.1:${broker.port}`, '--devices', String(devices), '--prefix', prefix, '--password', secret, '--interval', '60s', '--processes', String(processes), '--connect-rate', '500', '--backoff-base', '500ms', '--backoff-cap', '5s']);
  const traceStartMs = Date.now();
  const trace = process.env.STORM_TRACE ? setInterval(() => console.log(((Date.now() - traceStartMs) / 1000).toFixed(1), sim.connected(), sim.stderr().trim().split('\n').at(-1)), 2000) : undefined;
  try {
    await waitFor(() => sim.connected() === devices || sim.child.exitCode !== null, devices * 10 + 120_000, `${devices} devices connected before the restart`);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    await waitFor(() => sim.connected() === 0, 60_000, 'every device noticed the broker is gone');
    child = await broker.start();
    await waitFor(() => portOpen(broker.port), 30_000, `${name} listening again`);
    const startedMs = Date.now();
    const brokerBefore = sampleProcessTree(child.pid!).cpuSec;
    const simBefore = sampleProcessTree(sim.child.pid!).cpuSec;
    const done = await waitFor(() => sim.connected() === devices, 300_000, `${devices} devices reconnected`).then(
      () => true,
      () => false,
    );
    const reconnectedS = done ? (Date.now() - startedMs) / 1000 : null;
    const result = { broker: name, run, devices, scheme: name === 'mosquitto' ? 'mosquitto_passwd' : scheme, reconnectedS, brokerCpuS: sampleProcessTree(child.pid!).cpuSec - brokerBefore, simCpuS: sampleProcessTree(sim.child.pid!).cpuSec - simBefore };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    clearInterval(trace);
    await stopChild(sim.child);
    await stopChild(child);
    await sleep(500);
    rmSync(broker.dir, { recursive: true, force: true });
  }
}

const results: StormResult[] = [];
for (let run = 1; run <= runs; run++) for (const name of brokerNames) results.push(await storm(name, run));

console.log(`\nreconnect storm: ${devices} devices, ${processes} simulator processes, medians of ${runs} runs`);
console.log('| broker | scheme | all reconnected after | broker CPU s | simulator CPU s |');
console.log('|---|---|---|---|---|');
const summary = brokerNames.map((name) => {
  const of = results.filter((r) => r.broker === name);
  const times = of.map((r) => r.reconnectedS ?? Infinity);
  const row = { broker: name, scheme: of[0]?.scheme, reconnectedS: median(times), brokerCpuS: median(of.map((r) => r.brokerCpuS)), simCpuS: median(of.map((r) => r.simCpuS)) };
  console.log(`| ${name} | ${row.scheme} | ${row.reconnectedS.toFixed(1)} s | ${row.brokerCpuS.toFixed(1)} | ${row.simCpuS.toFixed(1)} |`);
  return row;
});
const [first, second] = summary;
if (first && second) console.log(`ratio ${first.broker} / ${second.broker}: ${(first.reconnectedS / second.reconnectedS).toFixed(2)}`);
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, `bench/results/auth-storm-${Date.now()}.json`), JSON.stringify({ devices, processes, runs, scheme, results, summary }, null, 2));
