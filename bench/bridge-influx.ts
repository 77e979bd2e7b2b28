// Bridge throughput into InfluxDB against the raw ceiling of the same influxd, in one run.
//
//   node --conditions=source --import tsx bench/bridge-influx.ts [--points 200000] [--runs 5] [--batch 5000]
//
// Per run, each on a fresh database of one influxd (Debian 1.6.7, started here):
//   ceiling      pre-serialised line protocol POSTed to /write?precision=ms; best of 1 and 2 batches in flight
//   lineproto    the store's hot path: Point objects → toLineProtocol → POST /write (one in flight)
//   writePoints  the `influx` package's writePoints with the same points and batches
//   bridge       the whole bridge: client-publish events → mapping → batcher → delivery → influxd,
//                timed from the first event until the store holds every point (count query: zero loss).
//                The events arrive as one burst, so the memory queue is sized to hold it: the figure is
//                the write path's; with the default queue (20 batches) the rest of a burst is spooled.
// Prints medians (points/s), the bridge's ratio to the ceiling and the bridge's own CPU time per
// point (this process: mapping, batching, serialising, HTTP), which does not depend on the load of
// the machine; JSON lines to bench/results/. The bridge and influxd share the machine's cores, so on a
// busy machine the ratio falls with the CPU the bridge itself needs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InfluxDB } from 'influx';
import { Registry } from 'prom-client';
import { startInfluxd } from '../test/support/services.ts';
import { createBridge } from '../broker/src/bridge/bridge.ts';
import { bridgeConfigSchema } from '../broker/src/bridge/config.ts';
import type { MqttBrokerEvents } from '../broker/src/broker/mqtt-broker.ts';
import { createLogger } from '../broker/src/logger.ts';
import { createInfluxStore } from '../broker/src/stores/influx/influx-store.ts';
import { toLineProtocol } from '../broker/src/stores/influx/line-protocol.ts';
import { defaultSchema, type Point } from '../broker/src/stores/types.ts';

const { values } = parseArgs({ options: { points: { type: 'string', default: '200000' }, runs: { type: 'string', default: '5' }, batch: { type: 'string', default: '5000' } } });
const total = Number(values.points);
const runs = Number(values.runs);
const batchSize = Number(values.batch);
const devices = 1000;
const log = createLogger('silent');

/**
 * The bridge's input as a broker hands it over: each event carries a topic string and a payload
 * slice made when it is emitted (as the MQTT parser makes them), cut from one prepared buffer so the
 * test data does not sit in the heap as 200,000 objects and tax the bridge's garbage collector.
 */
function messageSource(baseTs: number): (i: number) => { topic: string; payload: Buffer } {
  const texts = Array.from({ length: total }, (_, i) => JSON.stringify({ temperature: 20 + (i % 100) / 10, humidity: 40 + (i % 50), battery: 3.7, ts: baseTs + Math.floor(i / devices) }));
  const payloads = Buffer.from(texts.join(''));
  const ends = new Uint32Array(total + 1);
  texts.forEach((text, i) => (ends[i + 1] = ends[i]! + Buffer.byteLength(text)));
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

async function postAll(url: string, db: string, bodies: string[], inFlight: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`write ${res.status}: ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const influxd = await startInfluxd();
  const results: Record<string, number[]> = { ceiling: [], lineproto: [], writePoints: [], bridge: [] };
  const lost: number[] = [];
  const spooled: number[] = [];
  /** CPU time of this process per bridged point: independent of how loaded the machine is */
  const cpuUs: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const baseTs = Date.now() - 3_600_000 - run * 600_000;

      // The ceiling: the best of one and two batches in flight (the bridge writes two at once).
      const bodies = chunks(points(baseTs), batchSize).map(toLineProtocol);
      let t0 = 0;
      let best = 0;
      for (const inFlight of [1, 2]) {
        const ceilingDb = `ceiling${inFlight}_${run}`;
        await createDb(influxd.url, ceilingDb);
        t0 = performance.now();
        await postAll(influxd.url, ceilingDb, bodies, inFlight);
        best = Math.max(best, total / ((performance.now() - t0) / 1000));
      }
      results.ceiling!.push(best);

      const lpDb = `lineproto_${run}`;
      const store = createInfluxStore({ url: `${influxd.url}/${lpDb}`, retentionDays: 30, schema: defaultSchema, log });
      await store.write(points(baseTs).slice(0, 1));
      const lpBatches = chunks(points(baseTs), batchSize);
      t0 = performance.now();
      for (const b of lpBatches) {
        const outcome = await store.write(b);
        if (!outcome.ok) throw new Error(outcome.reason);
      }
      results.lineproto!.push(total / ((performance.now() - t0) / 1000));

      const wpDb = `writepoints_${run}`;
      await createDb(influxd.url, wpDb);
      const influx = new InfluxDB(`${influxd.url}/${wpDb}`);
      const wpBatches = chunks(points(baseTs), batchSize).map((b) => b.map((p) => ({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: p.timestampMs })));
      t0 = performance.now();
      for (const b of wpBatches) await influx.writePoints(b, { precision: 'ms' });
      results.writePoints!.push(total / ((performance.now() - t0) / 1000));

      const bridgeDb = `bridge_${run}`;
      const dataDir = mkdtempSync(path.join(tmpdir(), 'telemq-bench-'));
      const bridgeStore = createInfluxStore({ url: `${influxd.url}/${bridgeDb}`, retentionDays: 30, schema: defaultSchema, log });
      await bridgeStore.write(points(baseTs - 1000).slice(0, 1)); // creates the database and its fields
      const events = new EventEmitter<MqttBrokerEvents>();
      const metrics = new Registry();
      const bridge = await createBridge({ config: bridgeConfigSchema.parse({ maxBatchPoints: batchSize, maxQueuedBatches: Math.ceil(total / batchSize) }), store: bridgeStore, broker: { events, publish: async () => {} }, dataDir, log, metrics });
      const message = messageSource(baseTs);
      const client = { id: 'bench', context: { transport: 'tcp' as const, remoteAddress: '127.0.0.1' } };
      t0 = performance.now();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < total; i++) {
        events.emit('clientPublish', { ...message(i), qos: 0, retain: false }, client);
        if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
      }
      const written = () => metrics.getSingleMetric('telemq_bridge_points_written_total')!.get().then((m) => m.values[0]?.value ?? 0);
      while ((await written()) < total) await new Promise((r) => setTimeout(r, 5));
      results.bridge!.push(total / ((performance.now() - t0) / 1000));
      const cpu = process.cpuUsage(cpu0);
      cpuUs.push((cpu.user + cpu.system) / total);
      spooled.push((await metrics.getSingleMetric('telemq_bridge_points_spooled_total')!.get()).values[0]?.value ?? 0);
      await bridge.close();
      rmSync(dataDir, { recursive: true, force: true });
      lost.push(total + 1 - (await count(influxd.url, bridgeDb)));

      console.log(`run ${run + 1}/${runs}: ${Object.entries(results).map(([k, v]) => `${k} ${Math.round(v.at(-1)!)}`).join(', ')} points/s; bridge lost ${lost.at(-1)}, spooled ${spooled.at(-1)}, bridge cpu ${cpuUs.at(-1)!.toFixed(2)} µs/point`);
    }
  } finally {
    await influxd.destroy();
  }
  const summary = {
    points: total,
    batchPoints: batchSize,
    runs,
    medianPointsPerSec: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(median(v))])),
    bridgeToCeiling: Number((median(results.bridge!) / median(results.ceiling!)).toFixed(3)),
    /** the same ratio taken within each run, then the median: less exposed to load changing between runs */
    bridgeToCeilingPerRun: Number(median(results.bridge!.map((b, i) => b / results.ceiling![i]!)).toFixed(3)),
    writePointsToCeiling: Number((median(results.writePoints!) / median(results.ceiling!)).toFixed(3)),
    bridgeCpuMicrosPerPoint: Number(median(cpuUs).toFixed(2)),
    lostPoints: lost.reduce((a, b) => a + b, 0),
    spooledPoints: spooled.reduce((a, b) => a + b, 0),
  };
  console.log(JSON.stringify(summary, null, 2));
  const out = path.resolve(path.dirname(new URL(import.meta.url).pathname), 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, `bridge-influx-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(summary) + '\n');
}

await main();
