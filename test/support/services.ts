// Real servers for integration tests, each on a free loopback port with its data in a temporary
// folder, stopped afterwards. A missing binary is a failure with a clear message, never a skip.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, waitFor } from './net.ts';
import { spawnOwned } from './owned-process.ts';
import { stopProcess } from './stop-process.ts';
import { createTempDir } from './temp-dir.ts';

export interface RunningService {
  port: number;
  url: string;
  /** stops the process (SIGTERM), keeping its data so start() can bring it back */
  stop(): Promise<void>;
  /** starts it again on the same port with the same data */
  start(): Promise<void>;
  /** stops it and deletes its data */
  destroy(): Promise<void>;
  readonly process: ChildProcess | null;
}

function requireBinary(bin: string, debianPackage: string): void {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: install Debian's ${debianPackage} (npm test installs it)`);
}

async function stopChild(child: ChildProcess | null): Promise<void> {
  if (child) await stopProcess(child);
}

function managed(name: string, port: number, url: string, spawnIt: () => ChildProcess, ready: () => Promise<boolean>, dir: string): RunningService {
  let child: ChildProcess | null = null;
  let output = '';
  const service: RunningService = {
    port,
    url,
    get process() {
      return child;
    },
    async start() {
      output = '';
      child = spawnIt();
      child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
      child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
      const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`${name} exited ${code}: ${output}`))));
      exited.catch(() => {});
      await Promise.race([waitFor(ready, 30_000, `${name} on port ${port}`), exited]);
    },
    async stop() {
      await stopChild(child);
      child = null;
    },
    async destroy() {
      await stopChild(child);
      child = null;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return service;
}

/** Debian's influxd 1.6 with HTTP on a free port. */
export async function startInfluxd(): Promise<RunningService> {
  requireBinary('/usr/bin/influxd', 'influxdb');
  const { path: dir } = createTempDir('telemq-influxd-');
  const port = await freePort();
  const rpcPort = await freePort();
  const config = path.join(dir, 'influxdb.conf');
  writeFileSync(
    config,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
`,
  );
  const url = `http://127.0.0.1:${port}`;
  const service = managed(
    'influxd',
    port,
    url,
    () => spawnOwned('/usr/bin/influxd', ['run', '-config', config], { stdio: ['ignore', 'pipe', 'pipe'] }),
    async () => (await fetch(`${url}/ping`)).status === 204,
    dir,
  );
  await service.start();
  return service;
}

/** Debian's redis-server on a free port, no persistence to disk. */
export async function startRedis(): Promise<RunningService> {
  requireBinary('/usr/bin/redis-server', 'redis-server');
  const { path: dir } = createTempDir('telemq-redis-');
  const port = await freePort();
  const service = managed(
    'redis-server',
    port,
    `redis://127.0.0.1:${port}`,
    () => spawnOwned('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }),
    async () => {
      const { Socket } = await import('node:net');
      return new Promise<boolean>((resolve) => {
        const s = new Socket();
        s.once('error', () => resolve(false));
        s.connect(port, '127.0.0.1', () => {
          s.write('PING\r\n');
          s.once('data', (d) => {
            s.destroy();
            resolve(d.toString().startsWith('+PONG'));
          });
        });
      });
    },
    dir,
  );
  await service.start();
  return service;
}

/** Debian's mosquitto broker (benchmarks, cross-checks, the simulator's tests): TCP and WebSocket listeners, anonymous unless `users` are given. */
export async function startMosquitto(options: { users?: Record<string, string> } = {}): Promise<RunningService & { wsPort: number }> {
  requireBinary('/usr/sbin/mosquitto', 'mosquitto');
  const { path: dir } = createTempDir('telemq-mosquitto-');
  const port = await freePort();
  const wsPort = await freePort();
  const config = path.join(dir, 'mosquitto.conf');
  let access = 'allow_anonymous true\n';
  if (options.users) {
    const passwords = path.join(dir, 'passwords');
    writeFileSync(passwords, '');
    for (const [user, password] of Object.entries(options.users)) {
      const made = spawnSync('mosquitto_passwd', ['-b', passwords, user, password]);
      if (made.status !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr.toString()}`);
    }
    // Mosquitto started as root reads its files as the user `mosquitto`.
    chmodSync(dir, 0o755);
    chmodSync(passwords, 0o644);
    access = `allow_anonymous false\npassword_file ${passwords}\n`;
  }
  writeFileSync(config, `listener ${port} 127.0.0.1\nlistener ${wsPort} 127.0.0.1\nprotocol websockets\n${access}persistence false\nlog_dest none\n`);
  const service = managed(
    'mosquitto',
    port,
    `mqtt://127.0.0.1:${port}`,
    () => spawnOwned('/usr/sbin/mosquitto', ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] }),
    async () => {
      const { Socket } = await import('node:net');
      return new Promise<boolean>((resolve) => {
        const s = new Socket();
        s.once('error', () => resolve(false));
        s.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
      });
    },
    dir,
  );
  await service.start();
  return Object.assign(service, { wsPort });
}
