// Long-polling sessions opened and abandoned under telemetry: the broker's RSS and how fast
// /healthz answers meanwhile, and what a client that keeps polling receives.
//
//   node --conditions=source --import tsx bench/live-sessions.ts \
//     [--sessions 2000] [--users 2000] [--rate 500] [--seconds 25] [--runs 3] [--concurrency 100] [--tree DIR] [--cpu-prof DIR]
//
// Each run starts the real broker (main.ts, embedded store, auth required) as its own process, publishes
// --rate msg/s of telemetry from 50 devices over one MQTT connection, lets it settle 10 s (the control:
// baseline RSS, /healthz latency on this machine with its present load, as sessions are not there
// yet), then opens --sessions poll sessions (one request each, never followed up) spread over --users users
// (a console token each), with one more client that keeps polling. For --seconds from the first
// session it samples the broker's RSS and CPU from /proc every 250 ms and requests /healthz one after
// another (5 s timeout). Medians over the runs. Results: a table on stdout and
// bench/results/live-sessions-<time>.json. --tree runs the broker of another checkout of this
// repository (for a before/after comparison) inside this one, so that it finds its node_modules.
// --cpu-prof DIR writes the broker's V8 CPU profile of each run there (open it in Chrome DevTools).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { signToken } from '../broker/test/auth/helpers.ts';
import { keepPolling, metric as readMetric, pollRequest } from '../broker/test/live/helpers.ts';
import { startBrokerProcess as startHere } from '../test/support/broker-process.ts';
import { flagValue, median, root, sampleProcessTree, sleep } from './sim-support.ts';

const sessions = Number(flagValue('sessions', '2000'));
const users = Number(flagValue('users', '2000'));
const ratePerSec = Number(flagValue('rate', '500'));
const seconds = Number(flagValue('seconds', '25'));
const runs = Number(flagValue('runs', '3'));
const concurrency = Number(flagValue('concurrency', '100'));
const tree = flagValue('tree', '');
const cpuProfDir = flagValue('cpu-prof', '');
const { startBrokerProcess } = (tree ? await import(path.resolve(tree, 'test/support/broker-process.ts')) : { startBrokerProcess: startHere }) as { startBrokerProcess: typeof startHere };
const secret = 'bench-secret-0123456789-abcdefghijklmnop';
const filter = 'devices/+/telemetry';
/** NaN when the broker does not answer (or, before this work, has no such metric: 0) */
const metric = (...args: Parameters<typeof readMetric>) => readMetric(...args).catch(() => NaN);

interface RunResult {
  run: number;
  baselineRssMb: number;
  peakRssMb: number;
  rssGrowthMb: number;
  brokerCpuPct: number;
  benchCpuPct: number;
  healthzMaxMs: number;
  healthzP99Ms: number;
  healthzOver1s: number;
  healthzProbes: number;
  controlHealthzMaxMs: number;
  controlHealthzP99Ms: number;
  loadAverage: number;
  openSeconds: number;
  opened: number;
  refused: number;
  failed: number;
  published: number;
  liveReceived: number;
  liveDropped: number;
  bufferedPeakMb: number;
  uncollected: number;
  endedUserCap: number;
}

/** Publishes `ratePerSec` from 50 devices every 20 ms until stopped; counts what it sent. */
async function startPublisher(mqttUrl: string): Promise<{ sent(): number; stop(): Promise<void> }> {
  const token = await signToken({ sub: 'bench-admin', role: 'admin' }, { secret, expiresInSec: 3600 });
  const client = await mqtt.connectAsync(mqttUrl, { username: 'bench-admin', password: token, clientId: 'bench-publisher', reconnectPeriod: 0 });
  const startedMs = performance.now();
  let sent = 0;
  // Catches up by the clock, so a late timer on a busy machine does not lower the rate.
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - startedMs) / 1000) * ratePerSec);
    for (; sent < due; sent++) client.publish(`devices/dev-${sent % 50}/telemetry`, JSON.stringify({ temp: 20 + (sent % 100) / 10, humidity: 40.5, battery: 3.71 }), { qos: 0 });
  }, 20);
  return {
    sent: () => sent,
    async stop() {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}

/** /healthz one request after another; latencies in ms (a timeout counts as 5,000). */
function probeHealth(httpUrl: string): { latencies: number[]; stop(): Promise<void> } {
  const latencies: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      try {
        await (await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(5000) })).text();
        latencies.push(performance.now() - t0);
      } catch {
        latencies.push(5000);
      }
      await sleep(100);
    }
  })();
  return {
    latencies,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

async function openSessions(httpUrl: string, tokens: string[]): Promise<{ opened: number; refused: number; failed: number }> {
  let next = 0;
  const counts = { opened: 0, refused: 0, failed: 0 };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < sessions) {
        const i = next++;
        try {
          const res = await pollRequest(httpUrl, { filters: [filter], token: tokens[i % tokens.length]! });
          await res.arrayBuffer();
          if (res.status === 200) counts.opened++;
          else counts.refused++;
        } catch {
          counts.failed++;
        }
      }
    }),
  );
  return counts;
}

async function oneRun(run: number): Promise<RunResult> {
  const broker = await startBrokerProcess(
    { TELEMQ_AUTH: 'required', TELEMQ_JWT_SECRET: secret, TELEMQ_ADMIN_PASSWORD: 'bench-admin-pass', TELEMQ_LOG_LEVEL: 'warn' },
    { config: { guards: { publishRatePerSec: 0, connectAttemptsPerIpPerMin: 1_000_000 } }, nodeArgs: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfDir)}`] : [] },
  );
  const pid = broker.child.pid!;
  try {
    const tokens = await Promise.all(Array.from({ length: Math.min(users, sessions) }, (_, i) => signToken({ sub: `user-${i}`, role: 'console' }, { secret, expiresInSec: 3600 })));
    const watcherToken = await signToken({ sub: 'watcher', role: 'console' }, { secret, expiresInSec: 3600 });
    const publisher = await startPublisher(broker.mqttUrl);
    await sleep(2000);
    const control = probeHealth(broker.httpUrl);
    await sleep(8000);
    await control.stop();
    const baseline = sampleProcessTree(pid);
    const benchCpu0 = process.cpuUsage();
    const t0 = performance.now();
    const first = (await (await pollRequest(broker.httpUrl, { filters: [filter], token: watcherToken })).json()) as { session: string };
    const watcher = keepPolling(broker.httpUrl, first.session, [filter], watcherToken);
    const sentAtStart = publisher.sent();
    const health = probeHealth(broker.httpUrl);
    let peakRss = baseline.rssBytes;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, sampleProcessTree(pid).rssBytes)), 250);
    const counts = await openSessions(broker.httpUrl, tokens);
    const openSeconds = Math.round((performance.now() - t0) / 100) / 10;
    await sleep(Math.max(0, seconds * 1000 - (performance.now() - t0)));
    clearInterval(sampler);
    const end = sampleProcessTree(pid);
    const elapsedS = (performance.now() - t0) / 1000;
    const benchCpu = process.cpuUsage(benchCpu0);
    await health.stop();
    const published = publisher.sent() - sentAtStart;
    await publisher.stop();
    await watcher.stop();
    const sorted = (l: number[]) => [...l].sort((a, b) => a - b);
    const lat = sorted(health.latencies);
    const controlLat = sorted(control.latencies);
    const mb = (b: number) => Math.round(b / 1024 / 1024);
    return {
      run,
      baselineRssMb: mb(baseline.rssBytes),
      peakRssMb: mb(peakRss),
      rssGrowthMb: mb(peakRss - baseline.rssBytes),
      brokerCpuPct: Math.round(((end.cpuSec - baseline.cpuSec) / elapsedS) * 100),
      benchCpuPct: Math.round(((benchCpu.user + benchCpu.system) / 1e6 / elapsedS) * 100),
      healthzMaxMs: Math.round(lat.at(-1) ?? 0),
      healthzP99Ms: Math.round(lat[Math.floor(lat.length * 0.99)] ?? 0),
      healthzOver1s: lat.filter((l) => l > 1000).length,
      healthzProbes: lat.length,
      controlHealthzMaxMs: Math.round(controlLat.at(-1) ?? 0),
      controlHealthzP99Ms: Math.round(controlLat[Math.floor(controlLat.length * 0.99)] ?? 0),
      loadAverage: loadavg()[0]!,
      openSeconds,
      ...counts,
      published,
      liveReceived: watcher.received.length,
      liveDropped: watcher.dropped,
      bufferedPeakMb: Math.round((await metric(broker.httpUrl, 'telemq_live_buffered_bytes_peak')) / 1024 / 102.4) / 10,
      uncollected: await metric(broker.httpUrl, 'telemq_live_uncollected_total'),
      endedUserCap: await metric(broker.httpUrl, 'telemq_live_sessions_ended_total', { reason: 'user-cap' }),
    };
  } finally {
    await broker.stop();
  }
}

const results: RunResult[] = [];
for (let run = 1; run <= runs; run++) {
  const r = await oneRun(run);
  results.push(r);
  console.log(JSON.stringify(r));
}
const med = (key: keyof RunResult) => median(results.map((r) => r[key]));
console.log(`\n${tree ? `${tree}: ` : ''}${sessions} poll sessions from ${Math.min(users, sessions)} users, abandoned under ${ratePerSec} msg/s, ${seconds} s; medians of ${runs} runs`);
console.log(`broker RSS: baseline ${med('baselineRssMb')} MB, peak ${med('peakRssMb')} MB, growth ${med('rssGrowthMb')} MB (runs: ${results.map((r) => r.rssGrowthMb).join(', ')})`);
console.log(`/healthz: max ${med('healthzMaxMs')} ms, p99 ${med('healthzP99Ms')} ms, over 1 s ${med('healthzOver1s')} of ~${med('healthzProbes')} (max per run: ${results.map((r) => r.healthzMaxMs).join(', ')} ms)`);
console.log(`/healthz before the sessions (control): max ${med('controlHealthzMaxMs')} ms, p99 ${med('controlHealthzP99Ms')} ms; load average ${med('loadAverage')}`);
console.log(`broker CPU ${med('brokerCpuPct')} %, this load generator ${med('benchCpuPct')} %; sessions opened in ${med('openSeconds')} s`);
console.log(`sessions opened ${med('opened')}, refused ${med('refused')}, failed ${med('failed')}; fallback bytes held at peak ${med('bufferedPeakMb')} MB; uncollected ${med('uncollected')}; ended at the user cap ${med('endedUserCap')}`);
console.log(`a client that kept polling: ${med('liveReceived')} of ${med('published')} published, ${med('liveDropped')} dropped`);
const dir = path.join(root, 'bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, `live-sessions-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ tree, sessions, users, ratePerSec, seconds, runs, results }, null, 2));
