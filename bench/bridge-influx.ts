// Bridge throughput into InfluxDB against the raw ceiling of the same influxd, in one run.
//
//   node --conditions=source --import tsx bench/bridge-influx.ts [--points 500000] [--runs 5] [--batch 5000] [--cores both|separate|shared]
//
// Per run, each measurement on an influxd of its own (Debian 1.6.7, started here and removed after):
//   ceiling      pre-serialised line protocol POSTed to /write?precision=u; best of 1 and 2 batches in flight
//   lineproto    the store's write path: plain Point objects → toLineProtocol → POST /write (one in flight)
//   writePoints  the `influx` package's writePoints with the same points and batches
//   bridge       the whole bridge: client-publish events → mapping → batcher → delivery → influxd,
//                timed from the first event until the store holds every point (count query: zero loss).
//                The events arrive as one burst, so the memory queue is sized to hold it: the figure is
//                the write path's; with the default queue (20 batches) the rest of a burst is spooled.
// A first, uncounted run warms up the JIT. Prints medians (points/s), the bridge's ratio
// to the ceiling, the bridge's own CPU time per point (this process: mapping, batching,
// serialising, HTTP) and influxd's (from /proc) with the cores it kept busy; JSON to bench/results/.
//
// Cores (taskset), the ceiling and the bridge measured alike:
//   separate  influxd on every core but the first, this process (the bridge) on the first: the store
//             gets the same CPU whether the ceiling or the bridge feeds it, so the ratio is the bridge's
//             cost to the store's throughput, as when InfluxDB runs on a host of its own.
//   shared    both on all cores: on a small machine influxd's ceiling takes nearly every core, so the
//             ratio also pays for the CPU the bridge itself needs (its µs per point).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InfluxDB } from 'influx';
import { Registry } from 'prom-client';
import { startInfluxd } from '../test/support/services.ts';
import { sampleProcessTree } from './sim-support.ts';
import { createBridge } from '../broker/src/bridge/bridge.ts';
import { bridgeConfigSchema } from '../broker/src/bridge/config.ts';
import type { MqttBrokerEvents } from '../broker/src/broker/mqtt-broker.ts';
import { createLogger } from '../broker/src/logger.ts';
import { createInfluxStore } from '../broker/src/stores/influx/influx-store.ts';
import { toLineProtocol } from '../broker/src/stores/influx/line-protocol.ts';
import { defaultSchema, type Point } from '../broker/src/stores/types.ts';

const { values } = parseArgs({ options: { points: { type: 'string', default: '500000' }, runs: { type: 'string', default: '5' }, batch: { type: 'string', default: '5000' }, cores: { type: 'string', default: 'both' } } });
const total = Number(values.points);
const runs = Number(values.runs);
const batchSize = Number(values.batch);
const devices = 1000;
const log = createLogger('silent');

/**
 * The bridge's input as a broker hands it over: each event carries a topic string and a payload
 * slice made when it is emitted (as the MQTT parser makes them), cut from one prepared buffer so the
 * test data does not sit in the heap as a million objects and tax the bridge's garbage collector.
 */
function messageSource(baseTs: number): (i: number) => { topic: string; payload: Buffer } {
  const ends = new Uint32Array(total + 1);
  const payloads = Buffer.from(
    Array.from({ length: total }, (_, i) => {
      const text = JSON.stringify({ temperature: 20 + (i % 100) / 10, humidity: 40 + (i % 50), battery: 3.7, ts: baseTs + Math.floor(i / devices) });
      ends[i + 1] = ends[i]! + text.length;
      return text;
    }).join(''),
  );
  const topicLength = 'devices/sim-0000/telemetry'.length;
  const topics = Buffer.from(Array.from({ length: devices }, (_, d) => `devices/sim-${String(d).padStart(4, '0')}/telemetry`).join(''));
  return (i) => {
    const at = (i % devices) * topicLength;
    return { topic: topics.toString('latin1', at, at + topicLength), payload: payloads.subarray(ends[i], ends[i + 1]) };
  };
}

function points(baseTs: number): Point[] {
  return Array.from({ length: total }, (_, i) => ({
    measurement: 'telemetry',
    tags: { device_id: `sim-${String(i % devices).padStart(4, '0')}` },
    fields: { temperature: 20 + (i % 100) / 10, humidity: 40 + (i % 50), battery: 3.7 },
    timestampMs: baseTs + Math.floor(i / devices),
  }));
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function count(url: string, db: string): Promise<number> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db, q: 'SELECT count("temperature") FROM "telemetry"' }).toString()}`);
  const body = (await res.json()) as { results: Array<{ series?: Array<{ values: unknown[][] }> }> };
  return Number(body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
}

async function createDb(url: string, db: string): Promise<void> {
  await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${db}"` }) });
}

async function postAll(url: string, db: string, bodies: Buffer[], inFlight: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await fetch(`${url}/write?db=${db}&precision=u`, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`write ${res.status}: ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The influxd being measured, set by freshInfluxd. */
let influxdPid = 0;

/** CPU time influxd has used, in µs (from /proc, in clock ticks of 10 ms). */
const influxdCpuMicros = () => sampleProcessTree(influxdPid).cpuSec * 1e6;

interface Timed {
  perSec: number;
  /** influxd's CPU per point while it took them, and the cores it kept busy */
  influxdMicrosPerPoint: number;
  influxdCores: number;
}

async function timed(work: () => Promise<void>): Promise<Timed> {
  const cpu0 = influxdCpuMicros();
  const t0 = performance.now();
  await work();
  const elapsedMs = performance.now() - t0;
  const cpuMicros = influxdCpuMicros() - cpu0;
  return { perSec: total / (elapsedMs / 1000), influxdMicrosPerPoint: cpuMicros / total, influxdCores: cpuMicros / 1000 / elapsedMs };
}

/** The ceiling: pre-serialised batches, the best of one and two in flight (the bridge writes two at once). */
async function ceiling(fresh: FreshInfluxd, run: number, baseTs: number): Promise<Timed> {
  const bodies = chunks(points(baseTs), batchSize).map((batch) => toLineProtocol(batch));
  let best: Timed | null = null;
  for (const inFlight of [1, 2]) {
    const result = await fresh(async (url) => {
      const db = `ceiling${inFlight}_${run}`;
      await createDb(url, db);
      return timed(() => postAll(url, db, bodies, inFlight));
    });
    if (best === null || result.perSec > best.perSec) best = result;
  }
  return best!;
}

async function lineProtocolStore(url: string, run: number, baseTs: number): Promise<number> {
  const store = createInfluxStore({ url: `${url}/lineproto_${run}`, retentionDays: 30, schema: defaultSchema, log });
  const batches = chunks(points(baseTs), batchSize);
  await store.write(batches[0]!.slice(0, 1));
  const { perSec } = await timed(async () => {
    for (const b of batches) {
      const outcome = await store.write(b);
      if (!outcome.ok) throw new Error(outcome.reason);
    }
  });
  await store.close();
  return perSec;
}

async function writePoints(url: string, run: number, baseTs: number): Promise<number> {
  const db = `writepoints_${run}`;
  await createDb(url, db);
  const influx = new InfluxDB(`${url}/${db}`);
  const batches = chunks(points(baseTs), batchSize).map((b) => b.map((p) => ({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: p.timestampMs })));
  const { perSec } = await timed(async () => {
    for (const b of batches) await influx.writePoints(b, { precision: 'ms' });
  });
  return perSec;
}

interface BridgeRun {
  timed: Timed;
  cpuMicrosPerPoint: number;
  spooled: number;
  lost: number;
}

async function bridgeRun(url: string, run: number, baseTs: number): Promise<BridgeRun> {
  const db = `bridge_${run}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'telemq-bench-'));
  const store = createInfluxStore({ url: `${url}/${db}`, retentionDays: 30, schema: defaultSchema, log });
  await store.write([{ measurement: 'telemetry', tags: { device_id: 'sim-0000' }, fields: { temperature: 0, humidity: 0, battery: 0 }, timestampMs: baseTs - 1000 }]); // creates the database and its fields
  const events = new EventEmitter<MqttBrokerEvents>();
  const metrics = new Registry();
  const bridge = await createBridge({ config: bridgeConfigSchema.parse({ maxBatchPoints: batchSize, maxQueuedBatches: Math.ceil(total / batchSize) }), store, broker: { events, publish: async () => {} }, dataDir, log, metrics });
  const message = messageSource(baseTs);
  const client = { id: 'bench', context: { transport: 'tcp' as const, remoteAddress: '127.0.0.1' } };
  const counter = async (name: string) => (await metrics.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  const cpu0 = process.cpuUsage();
  const result = await timed(async () => {
    for (let i = 0; i < total; i++) {
      const { topic, payload } = message(i);
      events.emit('clientPublish', { topic, payload, qos: 0, retain: false }, client, null);
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    while ((await counter('telemq_bridge_points_written_total')) < total) await new Promise((r) => setTimeout(r, 5));
  });
  const cpu = process.cpuUsage(cpu0);
  const spooled = await counter('telemq_bridge_points_spooled_total');
  await bridge.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { timed: result, cpuMicrosPerPoint: (cpu.user + cpu.system) / total, spooled, lost: total + 1 - (await count(url, db)) };
}

type Layout = 'separate' | 'shared';

const cores = availableParallelism();
const allCores = `0-${cores - 1}`;

/** Sets the cores a process (every thread of it) may run on. */
function pin(pid: number, cpuList: string): void {
  execFileSync('taskset', ['-a', '-cp', cpuList, String(pid)], { stdio: 'ignore' });
}

/** Runs one measurement against an influxd of its own, so none pays for another's data (compactions). */
type FreshInfluxd = <T>(work: (url: string) => Promise<T>) => Promise<T>;

function freshInfluxd(layout: Layout): FreshInfluxd {
  return async (work) => {
    // influxd sizes its Go scheduler from the cores it may use when it starts: start it unpinned.
    pin(process.pid, allCores);
    const influxd = await startInfluxd();
    influxdPid = influxd.process!.pid!;
    try {
      if (layout === 'separate') {
        pin(influxd.process!.pid!, cores === 2 ? '1' : `1-${cores - 1}`);
        pin(process.pid, '0');
      }
      return await work(influxd.url);
    } finally {
      await influxd.destroy();
    }
  };
}

async function measure(layout: Layout) {
  if (layout === 'separate' && cores < 2) throw new Error('--cores separate needs at least 2 cores');
  const fresh = freshInfluxd(layout);
  const results: Record<string, number[]> = { ceiling: [], lineproto: [], writePoints: [], bridge: [] };
  const influxd: Record<'ceiling' | 'bridge', { micros: number[]; cores: number[] }> = { ceiling: { micros: [], cores: [] }, bridge: { micros: [], cores: [] } };
  const lost: number[] = [];
  const spooled: number[] = [];
  const cpuUs: number[] = [];
  // Run 0 warms up the JIT and is not counted.
  for (let run = 0; run <= runs; run++) {
    const baseTs = Date.now() - 3_600_000 - run * 600_000;
    // Each phase makes and drops its own data, so none of it is live while another is timed.
    // The bridge runs right after the ceiling, so their ratio is taken under the same load.
    const top = await ceiling(fresh, run, baseTs);
    const bridge = await fresh((url) => bridgeRun(url, run, baseTs));
    const figures = { ceiling: top.perSec, bridge: bridge.timed.perSec, lineproto: await fresh((url) => lineProtocolStore(url, run, baseTs)), writePoints: await fresh((url) => writePoints(url, run, baseTs)) };
    const influxdText = (t: Timed) => `${t.influxdMicrosPerPoint.toFixed(2)} µs/point on ${t.influxdCores.toFixed(2)} cores`;
    const line = `${Object.entries(figures).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')} points/s; bridge lost ${bridge.lost}, spooled ${bridge.spooled}, cpu ${bridge.cpuMicrosPerPoint.toFixed(2)} µs/point; influxd at the ceiling ${influxdText(top)}, fed by the bridge ${influxdText(bridge.timed)}`;
    if (run === 0) {
      console.log(`${layout} warm-up (not counted): ${line}`);
      continue;
    }
    for (const [k, v] of Object.entries(figures)) results[k]!.push(v);
    for (const [k, t] of [['ceiling', top], ['bridge', bridge.timed]] as const) {
      influxd[k].micros.push(t.influxdMicrosPerPoint);
      influxd[k].cores.push(t.influxdCores);
    }
    lost.push(bridge.lost);
    spooled.push(bridge.spooled);
    cpuUs.push(bridge.cpuMicrosPerPoint);
    console.log(`${layout} run ${run}/${runs}: ${line}`);
  }
  const round = (x: number) => Number(x.toFixed(2));
  return {
    cores: layout,
    medianPointsPerSec: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(median(v))])),
    bridgeToCeiling: Number((median(results.bridge!) / median(results.ceiling!)).toFixed(3)),
    /** the same ratio taken within each run, then the median: less exposed to load changing between runs */
    bridgeToCeilingPerRun: Number(median(results.bridge!.map((b, i) => b / results.ceiling![i]!)).toFixed(3)),
    writePointsToCeiling: Number((median(results.writePoints!) / median(results.ceiling!)).toFixed(3)),
    bridgeCpuMicrosPerPoint: round(median(cpuUs)),
    influxdMicrosPerPoint: { ceiling: round(median(influxd.ceiling.micros)), bridge: round(median(influxd.bridge.micros)) },
    influxdCoresBusy: { ceiling: round(median(influxd.ceiling.cores)), bridge: round(median(influxd.bridge.cores)) },
    lostPoints: lost.reduce((a, b) => a + b, 0),
    spooledPoints: spooled.reduce((a, b) => a + b, 0),
  };
}

async function main(): Promise<void> {
  const layouts: Layout[] = values.cores === 'both' ? ['separate', 'shared'] : values.cores === 'separate' || values.cores === 'shared' ? [values.cores] : [];
  if (layouts.length === 0) throw new Error(`--cores ${values.cores}: expected both, separate or shared`);
  const summary = { points: total, batchPoints: batchSize, runs, layouts: [] as Array<Awaited<ReturnType<typeof measure>>> };
  for (const layout of layouts) summary.layouts.push(await measure(layout));
  console.log(JSON.stringify(summary, null, 2));
  const out = path.resolve(path.dirname(new URL(import.meta.url).pathname), 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, `bridge-influx-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(summary) + '\n');
}

await main();
