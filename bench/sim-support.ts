// Process helpers for the simulator benchmarks: start the built broker and simulator as real
// processes, read their CPU time and RSS from /proc, parse the simulator's log lines.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '../test/support/net.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLK_TCK = 100;

export interface ProcSample {
  cpuSec: number;
  rssBytes: number;
}

/** CPU seconds (user + system) and RSS of a process and its children (simulator workers). */
export function sampleProcessTree(pid: number): ProcSample {
  const pids = [pid, ...childPids(pid)];
  let cpuSec = 0;
  let rssBytes = 0;
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpuSec += (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
      const rssKb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
      rssBytes += Number(rssKb ?? 0) * 1024;
    } catch {
      // the process ended between listing and reading
    }
  }
  return { cpuSec, rssBytes };
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
  });
}

export interface Broker {
  name: string;
  pid: number;
  mqttUrl: string;
  close(): Promise<void>;
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * The built telemq broker (npm run build first), auth off, embedded store in a temporary folder.
 * bridge false: telemetry is routed but not stored (the broker alone, like for like with Mosquitto).
 */
export async function startTelemq(options: { bridge?: boolean } = {}): Promise<Broker> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'telemq-bench-'));
  // Every simulated device comes from 127.0.0.1: lift the per-IP guards above the fleet size.
  const configFile = path.join(dataDir, 'bench-config.json');
  writeFileSync(configFile, JSON.stringify({ guards: { maxConnectionsPerIp: 25_000, connectAttemptsPerIpPerMin: 1_000_000 }, bridge: { enabled: options.bridge ?? true } }));
  const mqttPort = await freePort();
  const httpPort = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'broker/dist/main.js')], {
    env: { ...process.env, TELEMQ_CONFIG: configFile, TELEMQ_AUTH: 'none', TELEMQ_HOST: '127.0.0.1', TELEMQ_MQTT_PORT: String(mqttPort), TELEMQ_HTTP_PORT: String(httpPort), TELEMQ_DATA_DIR: dataDir, TELEMQ_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(() => portOpen(mqttPort), 30_000, 'telemq broker');
  return {
    name: 'telemq',
    pid: child.pid!,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    async close() {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SimRun {
  child: ChildProcess;
  /** steady msg/s figures from the log lines written while every device was connected */
  steadyRates(): number[];
  connected(): number;
  stderr(): string;
  exited: Promise<number | null>;
}

/** The built simulator with log lines every second (its output is not a terminal). */
export function startSimulator(args: string[]): SimRun {
  const child = spawn(process.execPath, [path.join(root, 'devices-sim/dist/main.js'), '--report-interval', '1s', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () => [...stderr.matchAll(/connected (\d+)\/(\d+) · (\d+) msg\/s/g)].map((m) => ({ connected: Number(m[1]), total: Number(m[2]), rate: Number(m[3]) }));
  return {
    child,
    exited,
    stderr: () => stderr,
    connected: () => lines().at(-1)?.connected ?? 0,
    steadyRates: () => {
      const all = lines();
      const firstFull = all.findIndex((l) => l.connected === l.total);
      // skip the first full line: its second still included the last connects; never full: the latest lines
      return firstFull < 0 ? all.slice(-10).map((l) => l.rate) : all.slice(firstFull + 1).map((l) => l.rate);
    },
  };
}

export const median = (values: number[]) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Measurement {
  devices: number;
  processes: number;
  connected: number;
  /** median of the simulator's per-second msg/s while every device was connected */
  messagesPerSec: number;
  simCpuPct: number;
  simRssMb: number;
  brokerCpuPct: number;
  brokerRssMb: number;
  /** the simulator's summary line (with its last error, if any) */
  simSummary: string;
}

/**
 * Drives `devices` at 1 msg/s against a running broker: waits until all are connected (or the
 * ramp times out), then samples both processes over `windowS` seconds, then stops the simulator.
 */
export async function measure(broker: Broker, devices: number, processes: number, windowS: number, connectRatePerSec: number): Promise<Measurement> {
  const sim = startSimulator(['--url', broker.mqttUrl, '--devices', String(devices), '--interval', '1s', '--processes', String(processes), '--connect-rate', String(connectRatePerSec), '--backoff-cap', '5s']);
  try {
    const rampMs = (devices / connectRatePerSec) * 1000 + 30_000;
    await waitFor(() => sim.connected() === devices || sim.child.exitCode !== null, rampMs, `${devices} devices connected`).catch(() => undefined);
    await sleep(2000);
    const simBefore = sampleProcessTree(sim.child.pid!);
    const brokerBefore = sampleProcessTree(broker.pid);
    const startedMs = Date.now();
    await sleep(windowS * 1000);
    const elapsedS = (Date.now() - startedMs) / 1000;
    const simAfter = sampleProcessTree(sim.child.pid!);
    const brokerAfter = sampleProcessTree(broker.pid);
    const rates = sim.steadyRates();
    await stopChild(sim.child);
    return {
      devices,
      processes,
      connected: sim.connected(),
      messagesPerSec: Math.round(median(rates.slice(-windowS))),
      simCpuPct: Math.round(((simAfter.cpuSec - simBefore.cpuSec) / elapsedS) * 100),
      simRssMb: Math.round(simAfter.rssBytes / 1048576),
      brokerCpuPct: Math.round(((brokerAfter.cpuSec - brokerBefore.cpuSec) / elapsedS) * 100),
      brokerRssMb: Math.round(brokerAfter.rssBytes / 1048576),
      simSummary: /^sent .*$/m.exec(sim.stderr())?.[0] ?? sim.stderr().trim().split('\n').at(-1) ?? '',
    };
  } finally {
    await stopChild(sim.child);
  }
}

export function flagValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
