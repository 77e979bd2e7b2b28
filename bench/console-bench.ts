// The console under load, measured in Chromium: N messages/s from D devices (MQTT.js publishers
// over TCP) while one console page is open. The page reports, through the Performance API, every
// long task (PerformanceObserver 'longtask') and the JS heap (performance.memory) over time.
//
//   node --conditions=source --import tsx bench/console-bench.ts --page fleet --duration 10m
//   flags: --page fleet|device|explorer  --duration 60s|10m  --rate 1000  --devices 200  --sample 10s
//
// Writes bench/results/console-<page>-<time>.json and prints a summary.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium } from 'playwright-core';
import { topics } from '../broker/src/contract/index.ts';
import { startTestApp } from '../test/support/app.ts';
import { chromiumOptions, root } from '../test/e2e/console-harness.ts';

const { values: flags } = parseArgs({
  options: {
    page: { type: 'string', default: 'fleet' },
    duration: { type: 'string', default: '60s' },
    rate: { type: 'string', default: '1000' },
    devices: { type: 'string', default: '200' },
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
const pageName = flags.page;

// In the page before any script: collect long tasks from the start.
const observeScript = `
  window.__bench = { longTasks: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longTasks.push({ at: Math.round(e.startTime), ms: Math.round(e.duration) });
  }).observe({ type: 'longtask', buffered: true });
`;

async function startPublishers(mqttUrl: string): Promise<{ sent: () => number; stop: () => Promise<void> }> {
  const clients: MqttClient[] = [];
  for (let i = 1; i <= deviceCount; i++) {
    const id = `bench-${i}`;
    const c = await mqtt.connectAsync(mqttUrl, { clientId: id, reconnectPeriod: 0, will: { topic: topics.status(id), payload: Buffer.from('offline'), qos: 1, retain: true } });
    await c.publishAsync(topics.status(id), 'online', { qos: 1, retain: true });
    clients.push(c);
  }
  // A timer every 10 ms sends what is due by the clock (timers drift under load), round-robin.
  let sent = 0;
  let next = 0;
  const startMs = Date.now();
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - startMs) * rate) / 1000);
    for (; sent < due; ) {
      const c = clients[next % clients.length]!;
      const id = `bench-${(next % clients.length) + 1}`;
      next += 1;
      const t = Date.now();
      c.publish(topics.telemetry(id), JSON.stringify({ ts: t, temperature: 20 + Math.sin(t / 10_000 + next) * 3, humidity: 40 + (next % 17), power: (next * 7) % 1000 }), { qos: 0 });
      sent += 1;
    }
  }, 10);
  return {
    sent: () => sent,
    async stop() {
      clearInterval(timer);
      await Promise.all(clients.map((c) => c.endAsync(true)));
    },
  };
}

const server = await startTestApp({ auth: { mode: 'none' }, logLevel: 'warn' });
const publishers = await startPublishers(server.mqttUrl);
const browser = await chromium.launch({ ...chromiumOptions, args: [...chromiumOptions.args, '--enable-precise-memory-info'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const errors: string[] = [];
page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
page.on('pageerror', (e) => errors.push(e.message));
await page.addInitScript(observeScript);
const hash = pageName === 'device' ? '#/devices/bench-1' : pageName === 'explorer' ? '#/explorer' : '#/';
await page.goto(`${server.httpUrl}/${hash}`);
await page.check('input[type=radio][value=token]');
await page.fill('textarea[name=token]', 'bench');
await page.click('button[type=submit]');
await page.waitForSelector('[data-test=connection]');
if (pageName === 'explorer') await page.click('[data-test=subscribe]');
if (pageName === 'device') await page.waitForSelector('[data-chart]');
const cdp = await page.context().newCDPSession(page);

// A forced GC is itself a long task in the page, so it runs only after warm-up and at the end.
async function heapAfterGc(): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const bytes = Number(await page.evaluate('performance.memory.usedJSHeapSize'));
  await page.evaluate('window.__bench.longTasks.length = 0');
  return bytes;
}

interface Sample {
  atS: number;
  heapUsedBytes: number;
  longestTaskMs: number;
  longTasks: number;
  sent: number;
}
const samples: Sample[] = [];
await new Promise((r) => setTimeout(r, 5000));
const heapStartBytes = await heapAfterGc();
const startedMs = Date.now();
let lastSent = publishers.sent();
console.log(`console bench: page=${pageName} ${rate} msg/s from ${deviceCount} devices for ${durationMs / 1000} s`);
while (Date.now() - startedMs < durationMs) {
  await new Promise((r) => setTimeout(r, sampleMs));
  const heapUsedBytes = Number(await page.evaluate('performance.memory.usedJSHeapSize'));
  const tasks = (await page.evaluate('window.__bench.longTasks.splice(0)')) as Array<{ ms: number }>;
  const sent = publishers.sent();
  const s: Sample = { atS: Math.round((Date.now() - startedMs) / 1000), heapUsedBytes, longestTaskMs: Math.max(0, ...tasks.map((x) => x.ms)), longTasks: tasks.length, sent: sent - lastSent };
  lastSent = sent;
  samples.push(s);
  console.log(`  t=${s.atS}s heap ${(heapUsedBytes / 2 ** 20).toFixed(1)} MiB, long tasks ${s.longTasks} longest ${s.longestTaskMs} ms, ${(s.sent / (sampleMs / 1000)).toFixed(0)} msg/s sent`);
}
const heapEndBytes = await heapAfterGc();
await page.screenshot({ path: path.join(root, '.test-output', `bench-console-${pageName}.png`) }).catch(() => undefined);
await browser.close();
await publishers.stop();
await server.close();

const mib = (n: number) => +(n / 2 ** 20).toFixed(2);
const used = samples.map((s) => s.heapUsedBytes);
const summary = {
  page: pageName,
  rate,
  devices: deviceCount,
  durationS: durationMs / 1000,
  longestTaskMs: Math.max(0, ...samples.map((s) => s.longestTaskMs)),
  longTasksOver50Ms: samples.reduce((a, s) => a + s.longTasks, 0),
  heapAfterGcMiB: { start: mib(heapStartBytes), end: mib(heapEndBytes) },
  heapUsedMiB: { min: mib(Math.min(...used)), max: mib(Math.max(...used)) },
  errors,
  samples,
};
const dir = path.join(root, 'bench/results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `console-${pageName}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(summary, null, 2));
console.log(JSON.stringify({ ...summary, samples: undefined }));
console.log(`written ${path.relative(root, file)}`);
