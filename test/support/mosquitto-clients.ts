// mosquitto_pub and mosquitto_sub from Debian's mosquitto-clients: MQTT clients we did not write.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { spawnOwned } from './owned-process.ts';

const execFileAsync = promisify(execFile);

export interface MosquittoTarget {
  port: number;
  host?: string;
  username?: string;
  password?: string;
  clientId?: string;
  extra?: string[];
}

function commonArgs(t: MosquittoTarget): string[] {
  const args = ['-h', t.host ?? '127.0.0.1', '-p', String(t.port), '-V', 'mqttv311'];
  if (t.username !== undefined) args.push('-u', t.username);
  if (t.password !== undefined) args.push('-P', t.password);
  if (t.clientId !== undefined) args.push('-i', t.clientId);
  return [...args, ...(t.extra ?? [])];
}

/** Publishes one message (or each line of `messages` with -l) and resolves when mosquitto_pub exits 0. */
export async function mosquittoPub(t: MosquittoTarget, topic: string, message: string, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
  const args = [...commonArgs(t), '-t', topic, '-m', message, '-q', String(opts.qos ?? 0)];
  if (opts.retain) args.push('-r');
  await execFileAsync('mosquitto_pub', args, { timeout: 10_000 });
}

/** Publishes every line of `lines` on one connection (mosquitto_pub -l). */
export async function mosquittoPubLines(t: MosquittoTarget, topic: string, lines: string[], qos: 0 | 1 = 1): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawnOwned('mosquitto_pub', [...commonArgs(t), '-t', topic, '-l', '-q', String(qos)], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}: ${stderr}`))));
    child.stdin!.end(lines.join('\n') + '\n');
  });
}

export interface MosquittoSub {
  /** lines received so far ("topic payload" with -v) */
  lines: string[];
  stderr(): string;
  /** resolves with the exit code */
  exited: Promise<number | null>;
  stop(): void;
}

/** Starts mosquitto_sub -v on `topic`; resolves once it is subscribed (it prints nothing until then, so we wait for SUBACK via -d). */
export async function mosquittoSub(t: MosquittoTarget, topic: string, opts: { qos?: 0 | 1; count?: number } = {}): Promise<MosquittoSub> {
  const args = [...commonArgs(t), '-t', topic, '-v', '-d', '-q', String(opts.qos ?? 0)];
  if (opts.count) args.push('-C', String(opts.count));
  // stdbuf: mosquitto_sub block-buffers stdout when it is a pipe.
  const child = spawnOwned('stdbuf', ['-oL', 'mosquitto_sub', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  let subscribed: () => void = () => {};
  const subscribedP = new Promise<void>((r) => (subscribed = r));
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      if (line.includes('received SUBACK')) subscribed();
      else if (!line.startsWith('Client ') && !line.startsWith('Subscribed (') && line !== '') lines.push(line);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await Promise.race([subscribedP, exited.then((code) => Promise.reject(new Error(`mosquitto_sub exited ${code}: ${stderr}`)))]);
  return { lines, stderr: () => stderr, exited, stop: () => child.kill('SIGTERM') };
}
