// The real entry point (broker/src/main.ts) as a child process on free loopback ports, for tests
// that need its signals, exit codes or its own memory (RSS) apart from the test runner's.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, waitFor } from './net.ts';
import { spawnOwned } from './owned-process.ts';
import { stopProcess } from './stop-process.ts';
import { createTempDir } from './temp-dir.ts';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const mainEntry = path.join(root, 'broker/src/main.ts');

export interface BrokerProcess {
  child: ChildProcess;
  ports: { mqtt: number; http: number };
  mqttUrl: string;
  wsUrl: string;
  httpUrl: string;
  output(): string;
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>;
  stop(): Promise<number | string>;
}

/** Runs main.ts with the given TELEMQ_* variables (plus free ports, TELEMQ_AUTH=none, a temp data dir). */
export function spawnMain(env: Record<string, string> = {}, nodeArgs: string[] = []): { child: ChildProcess; output(): string; exited: Promise<number | string> } {
  const child = spawnOwned(process.execPath, ['--conditions=source', '--import', 'tsx', ...nodeArgs, mainEntry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-200_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, output: () => output, exited };
}

/**
 * `config`, when given, is written to a file in the data folder and passed as TELEMQ_CONFIG.
 * A free port can be taken by another process before the broker binds it: then it tries again.
 */
export async function startBrokerProcess(env: Record<string, string> = {}, options: { nodeArgs?: string[]; config?: Record<string, unknown> } = {}): Promise<BrokerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(env, options);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
}

async function startOnce(env: Record<string, string> = {}, options: { nodeArgs?: string[]; config?: Record<string, unknown> } = {}): Promise<BrokerProcess> {
  const temp = createTempDir('telemq-main-');
  const dataDir = temp.path;
  const configEnv: Record<string, string> = {};
  if (options.config) {
    configEnv.TELEMQ_CONFIG = path.join(dataDir, 'config.json');
    writeFileSync(configEnv.TELEMQ_CONFIG, JSON.stringify(options.config));
  }
  const ports = { mqtt: await freePort(), http: await freePort() };
  const run = spawnMain(
    {
      TELEMQ_HOST: '127.0.0.1',
      TELEMQ_MQTT_PORT: String(ports.mqtt),
      TELEMQ_HTTP_PORT: String(ports.http),
      TELEMQ_DATA_DIR: dataDir,
      TELEMQ_AUTH: 'none',
      TELEMQ_LOG_LEVEL: 'info',
      ...configEnv,
      ...env,
    },
    options.nodeArgs ?? [],
  );
  const httpUrl = `http://127.0.0.1:${ports.http}`;
  const earlyExit = run.exited.then((code) => Promise.reject(new Error(`broker exited ${code} during start: ${run.output()}`)));
  earlyExit.catch(() => {});
  await Promise.race([waitFor(async () => (await fetch(`${httpUrl}/readyz`)).ok, 30_000, 'broker ready'), earlyExit]);
  run.exited.finally(() => temp.remove()).catch(() => {});
  return {
    ...run,
    ports,
    mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
    wsUrl: `ws://127.0.0.1:${ports.http}/mqtt`,
    httpUrl,
    async stop() {
      await stopProcess(run.child, { killAfterMs: 15_000 });
      return run.exited;
    },
  };
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  return kb * 1024;
}
