// The console under load, measured in Chromium: the broker (broker/src/main.ts, its own process)
// gets N messages/s for D device ids from a paced raw-MQTT generator (bench/console-load.ts) while
// one console page is open. The page reports every long task (PerformanceObserver 'longtask'),
// its frame times (requestAnimationFrame intervals), its main thread's busy time (CDP) and its JS
// heap; the broker's and the generator's CPU are printed beside them.
//
//   node --conditions=source --import tsx bench/console-bench.ts --page fleet --rate 1000 --devices 200 --duration 60s
//   node --conditions=source --import tsx bench/console-bench.ts --page fleet --rate 1000 --devices 5000 --duration 60s
//   flags: --page fleet|device|explorer  --duration 60s|10m  --rate 1000  --devices 200  --connections N  --sample 10s
//   (connections: by default enough to keep each under 80 msg/s, inside the broker's default
//   guards.publishRatePerSec of 100; the summary counts what the broker refused or dropped)
//
// Writes bench/results/console-<page>-<time>.json and prints a summary.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startBrokerProcess } from '../test/support/broker-process.ts';
import { chromiumOptions, root } from '../test/e2e/console-harness.ts';
import { startConsoleLoad } from './console-load.ts';

const { values: flags } = parseArgs({
  options: {
    page: { type: 'string', default: 'fleet' },
    duration: { type: 'string', default: '60s' },
    rate: { type: 'string', default: '1000' },
    devices: { type: 'string', default: '200' },
    connections: { type: 'string' },
    sample: { type: 'string', default: '10s' },
  },
});

function ms(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}

const durationMs = ms(flags.duration);
const sampleMs = ms(flags.sample);
const rate = Number(flags.rate);
const deviceCount = Number(flags.devices);
const connections = Number(flags.connections ?? Math.max(4, Math.ceil(rate / 80)));
const pageName = flags.page;

// In the page before any script: long tasks and frame intervals from the start.
const observeScript = `
  window.__bench = { longTasks: [], frames: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longTasks.push({ at: Math.round(e.startTime), ms: Math.round(e.duration) });
  }).observe({ type: 'longtask', buffered: true });
  let last = performance.now();
  const tick = (now) => { window.__bench.frames.push(now - last); last = now; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
`;

/** CPU seconds (user + system) of a process, from /proc (Linux); clock ticks are 100 Hz. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const ownCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const pct = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!);

const broker = await startBrokerProcess({ TELEMQ_LOG_LEVEL: 'warn' });
const brokerPid = broker.child.pid!;
const load = await startConsoleLoad({ port: broker.ports.mqtt, connections, devices: deviceCount, rate, prefix: 'bench' });
const browser = await chromium.launch({ ...chromiumOptions, args: [...chromiumOptions.args, '--enable-precise-memory-info'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const errors: string[] = [];
page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
page.on('pageerror', (e) => errors.push(e.message));
await page.addInitScript(observeScript);
const hash = pageName === 'device' ? '#/devices/bench-1' : pageName === 'explorer' ? '#/explorer' : '#/';
await page.goto(`${broker.httpUrl}/${hash}`);
await page.check('input[type=radio][value=token]');
await page.fill('textarea[name=token]', 'bench');
await page.click('button[type=submit]');
await page.waitForSelector('[data-test=connection]');
if (pageName === 'explorer') await page.click('[data-test=subscribe]');
if (pageName === 'device') await page.waitForSelector('[data-chart]');
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const pageBusySeconds = async () => ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0);

// A forced GC is itself a long task in the page, so it runs only after warm-up and at the end.
async function heapAfterGc(): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const bytes = Number(await page.evaluate('performance.memory.usedJSHeapSize'));
  await page.evaluate('window.__bench.longTasks.length = 0; window.__bench.frames.length = 0');
  return bytes;
}

interface Sample {
  atS: number;
  heapUsedBytes: number;
  longestTaskMs: number;
  longTasks: number;
  frames: number;
  frameP50Ms: number;
  frameP99Ms: number;
  frameMaxMs: number;
  /** share of one core the page's main thread, the broker and the bench process (generator + driver) used */
  pageCpu: number;
  brokerCpu: number;
  generatorCpu: number;
  sentPerSec: number;
}
const samples: Sample[] = [];
await new Promise((r) => setTimeout(r, 5000));
const heapStartBytes = await heapAfterGc();
const startedMs = Date.now();
let last = { atMs: startedMs, sent: load.sent(), page: await pageBusySeconds(), broker: cpuSecondsOf(brokerPid), own: ownCpuSeconds() };
console.log(`console bench: page=${pageName} ${rate} msg/s for ${deviceCount} devices over ${connections} connections, ${durationMs / 1000} s`);
while (Date.now() - startedMs < durationMs) {
  await new Promise((r) => setTimeout(r, sampleMs));
  const heapUsedBytes = Number(await page.evaluate('performance.memory.usedJSHeapSize'));
  const tasks = (await page.evaluate('window.__bench.longTasks.splice(0)')) as Array<{ ms: number }>;
  const frames = ((await page.evaluate('window.__bench.frames.splice(0)')) as number[]).sort((a, b) => a - b);
  const now = { atMs: Date.now(), sent: load.sent(), page: await pageBusySeconds(), broker: cpuSecondsOf(brokerPid), own: ownCpuSeconds() };
  const wallS = (now.atMs - last.atMs) / 1000;
  const s: Sample = {
    atS: Math.round((now.atMs - startedMs) / 1000),
    heapUsedBytes,
    longestTaskMs: Math.max(0, ...tasks.map((x) => x.ms)),
    longTasks: tasks.length,
    frames: frames.length,
    frameP50Ms: +pct(frames, 0.5).toFixed(1),
    frameP99Ms: +pct(frames, 0.99).toFixed(1),
    frameMaxMs: +(frames.at(-1) ?? 0).toFixed(1),
    pageCpu: +((now.page - last.page) / wallS).toFixed(3),
    brokerCpu: +((now.broker - last.broker) / wallS).toFixed(3),
    generatorCpu: +((now.own - last.own) / wallS).toFixed(3),
    sentPerSec: Math.round((now.sent - last.sent) / wallS),
  };
  last = now;
  samples.push(s);
  console.log(
    `  t=${s.atS}s heap ${(heapUsedBytes / 2 ** 20).toFixed(1)} MiB, long tasks ${s.longTasks} (longest ${s.longestTaskMs} ms), frames p50 ${s.frameP50Ms} p99 ${s.frameP99Ms} max ${s.frameMaxMs} ms, ` +
      `CPU page ${(s.pageCpu * 100).toFixed(0)}% broker ${(s.brokerCpu * 100).toFixed(0)}% generator ${(s.generatorCpu * 100).toFixed(0)}%, ${s.sentPerSec} msg/s sent`,
  );
}
const heapEndBytes = await heapAfterGc();
const rows = Number(await page.evaluate(`document.querySelectorAll('tr[data-device]').length`));
const counted = String(await page.evaluate(`document.querySelector('[data-test=counts]')?.textContent ?? ''`)).replace(/\s+/g, ' ').trim();
await page.screenshot({ path: path.join(root, '.test-output', `bench-console-${pageName}.png`) }).catch(() => undefined);
// What never reached the page: publishes over the per-client rate, deliveries dropped by the broker.
const metricsText = await (await fetch(`${broker.httpUrl}/metrics`)).text();
const brokerLosses = Object.fromEntries(
  [...metricsText.matchAll(/^(telemq_refusals_total|telemq_messages_dropped_total)\{reason="([^"]+)"[^}]*\} (\d+)/gm)]
    .filter((m) => Number(m[3]) > 0 && (m[1] === 'telemq_messages_dropped_total' || m[2] === 'publish-rate'))
    .map((m) => [`${m[1]}{${m[2]}}`, Number(m[3])]),
);
await browser.close();
await load.stop();
await broker.stop();

const mib = (n: number) => +(n / 2 ** 20).toFixed(2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const used = samples.map((s) => s.heapUsedBytes);
const summary = {
  page: pageName,
  rate,
  devices: deviceCount,
  durationS: durationMs / 1000,
  /** the machine's 1-minute load average at the end, and its cores: a shared machine stretches every task */
  loadAverage: +loadavg()[0]!.toFixed(1),
  cores: cpus().length,
  longestTaskMs: Math.max(0, ...samples.map((s) => s.longestTaskMs)),
  longTasksOver50Ms: samples.reduce((a, s) => a + s.longTasks, 0),
  frameP99MsMedian: median(samples.map((s) => s.frameP99Ms)),
  frameMaxMs: Math.max(0, ...samples.map((s) => s.frameMaxMs)),
  cpuMedian: { page: median(samples.map((s) => s.pageCpu)), broker: median(samples.map((s) => s.brokerCpu)), generator: median(samples.map((s) => s.generatorCpu)) },
  heapAfterGcMiB: { start: mib(heapStartBytes), end: mib(heapEndBytes) },
  heapUsedMiB: { min: mib(Math.min(...used)), max: mib(Math.max(...used)) },
  connections,
  brokerLosses,
  fleetPage: { rowsShown: rows, counts: counted },
  errors,
  samples,
};
const dir = path.join(root, 'bench/results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `console-${pageName}-${deviceCount}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(summary, null, 2));
console.log(JSON.stringify({ ...summary, samples: undefined }));
console.log(`written ${path.relative(root, file)}`);
