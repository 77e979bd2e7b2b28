// Side-by-side routing benchmark: telemq (the real entry point, own process) and Debian's
// mosquitto, in the same run, under the same load generator (separate processes): P publishers
// writing QoS 0 flat out to one topic, one subscriber counting what it receives. Brokers alternate
// run by run; the figure is messages delivered to the subscriber per second; medians and the
// ratio telemq / mosquitto are printed per transport. Each run also shows the CPU (cores busy over
// the window) of the broker and of the load generator (publishers and subscriber together): a
// figure counts only where the generator stays below the broker, or it measures the generator.
//
//   npm run bench -- [--runs 3] [--seconds 10] [--publishers 50] [--transports ws,tcp] [--payload 16]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rssBytes, startBrokerProcess } from '../test/support/broker-process.ts';
import type { FloodTransport } from '../test/support/flood.ts';
import { spawnFloodProcess } from '../test/support/flood-process.ts';
import { startMosquitto } from '../test/support/services.ts';
import { sampleProcessTree } from './sim-support.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    publishers: { type: 'string', default: '50' },
    'pub-processes': { type: 'string', default: '2' },
    transports: { type: 'string', default: 'ws,tcp' },
    payload: { type: 'string', default: '16' },
  },
});
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const publishers = Number(values.publishers);
const pubProcesses = Number(values['pub-processes']);
const transports = values.transports.split(',') as FloodTransport[];
const payloadBytes = Number(values.payload);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

type BrokerName = 'telemq' | 'mosquitto';
interface RunResult {
  broker: BrokerName;
  transport: FloodTransport;
  run: number;
  deliveredPerSec: number;
  publishedPerSec: number;
  peakRssMB: number;
  /** cores busy over the window */
  brokerCpu: number;
  generatorCpu: number;
  dropped?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const debug = (...args: unknown[]) => process.env.BENCH_DEBUG && console.error(...args);

async function measure(broker: BrokerName, transport: FloodTransport, run: number): Promise<RunResult> {
  let port: number;
  let pid: number;
  let stop: () => Promise<unknown>;
  let metricsUrl: string | null = null;
  if (broker === 'telemq') {
    // the per-client publish rate guard and the bridge are off: routing is what is measured
    const telemq = await startBrokerProcess({ TELEMQ_LOG_LEVEL: 'warn' }, { config: { guards: { publishRatePerSec: 0 }, bridge: { enabled: false } } });
    port = transport === 'tcp' ? telemq.ports.mqtt : telemq.ports.http;
    pid = telemq.child.pid!;
    stop = () => telemq.stop();
    metricsUrl = `${telemq.httpUrl}/metrics`;
  } else {
    const mosquitto = await startMosquitto();
    port = transport === 'tcp' ? mosquitto.port : mosquitto.wsPort;
    pid = mosquitto.process!.pid!;
    stop = () => mosquitto.destroy();
  }
  debug('broker up', broker, port);
  const topic = 'bench/load';
  const subscriber = spawnFloodProcess('sub', transport, port, 1, topic, 0);
  await subscriber.ready;
  debug('subscriber ready');
  const pubs = Array.from({ length: pubProcesses }, () => spawnFloodProcess('pub', transport, port, Math.ceil(publishers / pubProcesses), topic, payloadBytes));
  await Promise.all(pubs.map((p) => p.ready));
  debug('publishers ready');
  for (const p of pubs) p.go();
  await sleep(warmupSeconds * 1000);
  const sentTotal = () => pubs.reduce((a, p) => a + (p.last.sent ?? 0), 0);
  const generatorCpuSec = () => [...pubs, subscriber].reduce((a, w) => a + (w.last.cpuSec ?? 0), 0);
  const received0 = subscriber.last.received ?? 0;
  const sent0 = sentTotal();
  const brokerCpu0 = sampleProcessTree(pid).cpuSec;
  const generatorCpu0 = generatorCpuSec();
  let peakRss = 0;
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    peakRss = Math.max(peakRss, await rssBytes(pid).catch(() => 0));
  }
  const received1 = subscriber.last.received ?? 0;
  const sent1 = sentTotal();
  const brokerCpu = (sampleProcessTree(pid).cpuSec - brokerCpu0) / seconds;
  const generatorCpu = (generatorCpuSec() - generatorCpu0) / seconds;
  let dropped: number | undefined;
  if (metricsUrl) {
    const text = await (await fetch(metricsUrl)).text();
    dropped = [...text.matchAll(/^telemq_messages_dropped_total\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
  }
  await Promise.all([...pubs, subscriber].map((w) => w.stop()));
  await stop();
  return {
    broker,
    transport,
    run,
    deliveredPerSec: Math.round((received1 - received0) / seconds),
    publishedPerSec: Math.round((sent1 - sent0) / seconds),
    peakRssMB: Math.round(peakRss / 1048576),
    brokerCpu: Math.round(brokerCpu * 100) / 100,
    generatorCpu: Math.round(generatorCpu * 100) / 100,
    ...(dropped !== undefined ? { dropped } : {}),
  };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

const results: RunResult[] = [];
console.log(`bench: ${publishers} publishers in ${pubProcesses} processes, QoS 0, ${payloadBytes}-byte payloads, 1 subscriber; ${runs} runs x ${seconds} s (after ${warmupSeconds} s warm-up) per broker and transport`);
for (const transport of transports) {
  for (let run = 1; run <= runs; run++) {
    // alternate the order so neither broker always runs on a warmer machine
    const order: BrokerName[] = run % 2 ? ['telemq', 'mosquitto'] : ['mosquitto', 'telemq'];
    for (const broker of order) {
      const result = await measure(broker, transport, run);
      results.push(result);
      console.log(`  ${transport.padEnd(3)} run ${run} ${broker.padEnd(9)} delivered ${String(result.deliveredPerSec).padStart(8)} msg/s  published ${String(result.publishedPerSec).padStart(8)} msg/s  CPU broker ${result.brokerCpu.toFixed(2)} generator ${result.generatorCpu.toFixed(2)}${result.generatorCpu >= result.brokerCpu ? ' (generator-bound)' : ''}  peak RSS ${result.peakRssMB} MB${result.dropped !== undefined ? `  dropped ${result.dropped}` : ''}`);
    }
  }
}

console.log('\nmedians (messages delivered to the subscriber per second):');
const summary: Record<string, { telemq: number; mosquitto: number; ratio: number }> = {};
for (const transport of transports) {
  const of = (broker: BrokerName) => median(results.filter((r) => r.transport === transport && r.broker === broker).map((r) => r.deliveredPerSec));
  const telemq = of('telemq');
  const mosquitto = of('mosquitto');
  const ratio = mosquitto > 0 ? telemq / mosquitto : 0;
  summary[transport] = { telemq, mosquitto, ratio };
  console.log(`  ${transport.padEnd(3)} telemq ${String(telemq).padStart(8)}  mosquitto ${String(mosquitto).padStart(8)}  ratio telemq/mosquitto ${ratio.toFixed(2)}`);
}
const outDir = path.join(root, 'bench/results');
mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `compare-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ options: values, results, summary }, null, 2));
console.log(`\nresults: ${path.relative(root, file)}`);
