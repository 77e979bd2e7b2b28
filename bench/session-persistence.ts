// QoS 1 into a persistent-session subscriber: telemq's embedded SQLite session persistence against
// aedes' memory persistence (same broker core, bench/session-broker.ts), with Mosquitto
// (persistence true) run beside them in the same rounds.
//
//   node --conditions=source --import tsx bench/session-persistence.ts [--runs 5] [--seconds 10] [--publishers 10] [--window 500] [--targets memory,sqlite,mosquitto]
//
// The generator runs here: raw TCP publishers writing pre-encoded QoS 1 PUBLISH packets, and one raw
// subscriber (CleanSession 0, QoS 1) that answers every PUBLISH with a PUBACK, one write per chunk
// read. At most --window messages are sent and not yet received, all publishers together: a closed
// loop, so the subscriber never has more in flight than guards.maxClientInflight (1000) and the rate
// is what the broker sustains, not how fast a backlog builds. Every message goes through the session's
// outgoing queue (enqueue, then cleared at PUBACK). Reported: delivered msg/s, the broker's CPU and
// the generator's own CPU (it must stay below the broker's), medians over the runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import mqttPacket from 'mqtt-packet';
import { freePort, waitFor } from '../test/support/net.ts';
import { flagValue, median, portOpen, root, sampleProcessTree, sleep, stopChild } from './sim-support.ts';

type Target = 'memory' | 'sqlite' | 'mosquitto';
const runs = Number(flagValue('runs', '3'));
const seconds = Number(flagValue('seconds', '10'));
const publisherCount = Number(flagValue('publishers', '10'));
const window = Number(flagValue('window', '500'));
const warmupMs = 2000;
const topic = 'bench/session/x';

interface CommitStats {
  commits: number;
  rows: number;
  totalMs: number;
  maxMs: number;
}

interface Started {
  child: ChildProcess;
  port: number;
  /** telemq with SQLite: its group-commit totals so far */
  commitStats?: () => Promise<CommitStats | null>;
}

async function startTarget(target: Target, dataDir: string): Promise<Started> {
  if (target === 'mosquitto') {
    const port = await freePort();
    const conf = path.join(dataDir, 'mosquitto.conf');
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dataDir}/\nmax_queued_messages 100000\n`);
    const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
    await waitFor(() => portOpen(port), 10_000, 'mosquitto');
    return { child, port };
  }
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(root, 'bench/session-broker.ts'), target, dataDir], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const nextLine = () => new Promise<string>((resolve) => lines.once('line', resolve));
  const port = (JSON.parse(await nextLine()) as { port: number }).port;
  const commitStats = async () => {
    const line = nextLine();
    child.kill('SIGUSR2');
    return JSON.parse(await line) as CommitStats | null;
  };
  return { child, port, commitStats };
}

async function session(port: number, clientId: string, clean: boolean): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, clientId, keepalive: 0 }));
  await new Promise<void>((resolve) => socket.once('data', () => resolve())); // CONNACK
  return socket;
}

/** The persistent subscriber: counts PUBLISH packets and acknowledges each, one write per chunk. */
async function subscriber(port: number, onReceived: () => void): Promise<{ received(): number; cutOff(): boolean; close(): void }> {
  const socket = await session(port, 'bench-persistent-sub', false);
  let received = 0;
  let pending: Buffer = Buffer.alloc(0);
  let subscribed = false;
  let cutOff = false;
  let closing = false;
  socket.on('close', () => (cutOff = !closing));
  socket.on('data', (chunk: Buffer) => {
    const buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    const acks: Buffer[] = [];
    let i = 0;
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let j = i + 1;
      for (; j < buf.length; j++) {
        length += (buf[j]! & 0x7f) * multiplier;
        multiplier *= 128;
        if ((buf[j]! & 0x80) === 0) break;
      }
      if (j >= buf.length || j + 1 + length > buf.length) break;
      const type = buf[i]! >> 4;
      const body = j + 1;
      if (type === 3) {
        received++;
        if ((buf[i]! >> 1) & 3) {
          const idAt = body + 2 + buf.readUInt16BE(body);
          acks.push(Buffer.from([0x40, 0x02, buf[idAt]!, buf[idAt + 1]!]));
        }
      } else if (type === 9) subscribed = true;
      i = body + length;
    }
    pending = buf.subarray(i);
    if (acks.length) socket.write(Buffer.concat(acks));
    onReceived();
  });
  socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bench/session/#', qos: 1 }] }));
  await waitFor(() => subscribed, 5000, 'SUBACK');
  return {
    received: () => received,
    cutOff: () => cutOff,
    close() {
      closing = true;
      socket.destroy();
    },
  };
}

const burstSize = 25;
const burst = Buffer.concat(Array.from({ length: burstSize }, (_, k) => mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.alloc(64, 0x61), qos: 1, messageId: k + 1, retain: false, dup: false })));

/** Publishers taking turns to write a burst while fewer than `window` messages are on their way; PUBACKs are read and ignored. */
async function publishers(port: number, received: () => number): Promise<{ pump(): void; stop(): void }> {
  const sockets = await Promise.all(Array.from({ length: publisherCount }, (_, n) => session(port, `bench-pub-${n}`, true)));
  for (const socket of sockets) socket.on('error', () => {});
  let sent = 0;
  let next = 0;
  let running = true;
  return {
    pump() {
      while (running && sent - received() + burstSize <= window) {
        sent += burstSize;
        sockets[next++ % sockets.length]!.write(burst);
      }
    },
    stop() {
      running = false;
      for (const socket of sockets) socket.destroy();
    },
  };
}

interface Result {
  rate: number;
  brokerCpu: number;
  generatorCpu: number;
  /** the broker closed the subscriber's connection during the run (slow-consumer disconnect) */
  cutOff: boolean;
  /** SQLite: share of the window the event loop spent committing, rows per commit, longest commit */
  commit?: { busy: number; rowsPerCommit: number; maxMs: number };
}

async function measure(target: Target): Promise<Result> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `telemq-bench-session-${target}-`));
  const { child, port, commitStats } = await startTarget(target, dataDir);
  try {
    const loop = { pump: () => {} };
    const sub = await subscriber(port, () => loop.pump());
    const pubs = await publishers(port, sub.received);
    loop.pump = pubs.pump;
    pubs.pump();
    await sleep(warmupMs);
    const c0 = await commitStats?.();
    const r0 = sub.received();
    const b0 = sampleProcessTree(child.pid!).cpuSec;
    const g0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const elapsedSec = (performance.now() - t0) / 1000;
    const g = process.cpuUsage(g0);
    const c1 = await commitStats?.();
    const result: Result = {
      rate: (sub.received() - r0) / elapsedSec,
      brokerCpu: (sampleProcessTree(child.pid!).cpuSec - b0) / elapsedSec,
      generatorCpu: (g.user + g.system) / 1e6 / elapsedSec,
      cutOff: sub.cutOff(),
    };
    if (c0 && c1) {
      result.commit = { busy: (c1.totalMs - c0.totalMs) / 1000 / elapsedSec, rowsPerCommit: (c1.rows - c0.rows) / Math.max(c1.commits - c0.commits, 1), maxMs: c1.maxMs };
    }
    pubs.stop();
    sub.close();
    return result;
  } finally {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const targets = flagValue('targets', 'memory,sqlite,mosquitto').split(',') as Target[];
const results = new Map<Target, Result[]>(targets.map((t) => [t, []]));
/** messages delivered per second of broker CPU: the figure least moved by other load on the machine */
const perCpu = (r: Result) => r.rate / Math.max(r.brokerCpu, 1e-6);
for (let run = 1; run <= runs; run++) {
  for (const target of targets) {
    const r = await measure(target);
    results.get(target)!.push(r);
    console.log(
      `run ${run} ${target.padEnd(9)} ${Math.round(r.rate).toString().padStart(7)} msg/s  broker CPU ${(r.brokerCpu * 100).toFixed(0)} %  ${Math.round(perCpu(r))} msg per broker CPU-s  generator CPU ${(r.generatorCpu * 100).toFixed(0)} %${r.cutOff ? '  SUBSCRIBER CUT OFF' : ''}${r.commit ? `  commits: ${(r.commit.busy * 100).toFixed(1)} % of the time, ${r.commit.rowsPerCommit.toFixed(1)} rows each, longest ${r.commit.maxMs.toFixed(1)} ms` : ''}`,
    );
  }
}
const med = (target: Target, key: 'rate' | 'brokerCpu' | 'generatorCpu' | 'perCpu') => median(results.get(target)!.map((r) => (key === 'perCpu' ? perCpu(r) : r[key])));
console.log(`\nmedians of ${runs} runs, ${seconds} s each, ${publisherCount} QoS 1 publishers (window ${window} in all) -> 1 persistent QoS 1 subscriber`);
for (const target of targets) {
  const cut = results.get(target)!.filter((r) => r.cutOff).length;
  console.log(
    `${target.padEnd(9)} ${Math.round(med(target, 'rate')).toString().padStart(7)} msg/s  broker CPU ${(med(target, 'brokerCpu') * 100).toFixed(0)} %  ${Math.round(med(target, 'perCpu'))} msg per broker CPU-s  generator CPU ${(med(target, 'generatorCpu') * 100).toFixed(0)} %  ${targets.includes('mosquitto') ? `rate vs mosquitto ${(med(target, 'rate') / med('mosquitto', 'rate')).toFixed(2)}` : ''}${cut ? `  (subscriber cut off in ${cut} runs)` : ''}`,
  );
}
if (targets.includes('memory') && targets.includes('sqlite')) console.log(`sqlite / memory: ${(med('sqlite', 'rate') / med('memory', 'rate')).toFixed(2)} by rate, ${(med('sqlite', 'perCpu') / med('memory', 'perCpu')).toFixed(2)} by messages per broker CPU-second`);
