// Runs the simulator as the real CLI in a child process, and a real Mosquitto that demands a password.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '../../test/support/net.ts';
import { spawnOwned } from '../../test/support/owned-process.ts';

const mainTs = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface SimProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** resolves with the exit code */
  exited: Promise<number | null>;
  /** SIGTERM: a clean stop (offline published, summary printed) */
  stop(): Promise<number | null>;
}

export function startSim(args: string[]): SimProcess {
  const child = spawnOwned(process.execPath, ['--conditions=source', '--import', 'tsx', mainTs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs the CLI to its end; kills it after `timeoutMs`. */
export async function runSim(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const sim = startSim(args);
  const timer = setTimeout(() => sim.child.kill('SIGKILL'), timeoutMs);
  const code = await sim.exited;
  clearTimeout(timer);
  return { code, stdout: sim.stdout(), stderr: sim.stderr() };
}

/** Debian's Mosquitto with anonymous access off and one user `user` / `password`. */
export async function startMosquittoWithPassword(): Promise<{ url: string; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'telemq-sim-mosquitto-'));
  const port = await freePort();
  const passwords = path.join(dir, 'passwords');
  const made = spawnSync('mosquitto_passwd', ['-b', '-c', passwords, 'user', 'password']);
  if (made.status !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr.toString()}`);
  // Mosquitto started as root reads its files as the user `mosquitto`.
  chmodSync(dir, 0o755);
  chmodSync(passwords, 0o644);
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${passwords}\npersistence false\nlog_dest none\n`);
  const child = spawnOwned('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  const { Socket } = await import('node:net');
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = new Socket();
        s.once('error', () => resolve(false));
        s.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
      }),
    10_000,
    'mosquitto',
  );
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One line, no stack trace. */
export function isOneClearLine(text: string): boolean {
  const lines = text.trim().split('\n');
  return lines.length === 1 && !/\n\s+at /.test(text) && lines[0]!.startsWith('telemq-sim: ');
}

/**
 * Broker auth for these tests and the matching simulator flags. With auth required, devices get
 * one signed token each (--secret) and the test's own clients an admin token.
 */
const TEST_SECRET = 'devices-sim-test-secret-0123456789';
const isAuthRequired = true;

export const testAuth = {
  broker: isAuthRequired ? ({ mode: 'required', jwtSecret: TEST_SECRET } as const) : ({ mode: 'none' } as const),
  simArgs: isAuthRequired ? ['--secret', TEST_SECRET] : [],
  /** MQTT.js options for a test client (subscriber, console) */
  async clientOptions(clientId: string): Promise<{ clientId: string; reconnectPeriod: number; username?: string; password?: string }> {
    if (!isAuthRequired) return { clientId, reconnectPeriod: 0 };
    const { SignJWT } = await import('jose');
    const password = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(clientId)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_SECRET));
    return { clientId, reconnectPeriod: 0, username: clientId, password };
  },
};
