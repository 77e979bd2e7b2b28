// QoS 1 fan-in, side by side: telemq (the real entry point, own process) and Debian's mosquitto
// (started here on free ports with a generated config), in the same run, under the same load
// generator: P publishers in separate processes writing pre-encoded QoS 1 PUBLISH packets flat out
// (64 per write, PUBACKs counted by byte count, at most 1,024 unacknowledged per connection as a
// client's own window would allow, so the kernel's socket buffers do not hide a backlog), one
// subscriber process at QoS 1 that answers
// PUBACKs (one write per chunk). Figures per run: messages delivered to the subscriber per second,
// loss (PUBACKed to a publisher but never delivered, counted after the publishers halt and the
// subscriber has caught up), CPU of the generator (publishers + subscriber) and of the broker.
//
//   node --conditions=source --import tsx bench/qos1-fan-in.ts [--runs 3] [--seconds 10] [--publishers 50] [--transports tcp,ws] [--payload 16]
import { parseArgs } from 'node:util';
import { startBrokerProcess } from '../test/support/broker-process.ts';
import type { FloodTransport } from '../test/support/flood.ts';
import { spawnFloodProcess, type FloodProcess } from '../test/support/flood-process.ts';
import { fetchMetric } from '../test/support/metrics.ts';
import { startMosquitto } from '../test/support/services.ts';
import { median, sampleProcessTree, sleep } from './sim-support.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    publishers: { type: 'string', default: '50' },
    'pub-processes': { type: 'string', default: '2' },
    transports: { type: 'string', default: 'tcp,ws' },
    payload: { type: 'string', default: '16' },
  },
});
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const publishers = Number(values.publishers);
const pubProcesses = Number(values['pub-processes']);
const transports = values.transports.split(',') as FloodTransport[];
const payloadBytes = Number(values.payload);

type BrokerName = 'telemq' | 'mosquitto';
interface RunResult {
  broker: BrokerName;
  transport: FloodTransport;
  deliveredPerSec: number;
  acked: number;
  delivered: number;
  lost: number;
  generatorCpuPct: number;
  brokerCpuPct: number;
}

async function startBroker(broker: BrokerName, transport: FloodTransport) {
  if (broker === 'telemq') {
    // the per-client publish rate guard and the bridge are off: routing is what is measured
    const telemq = await startBrokerProcess({ TELEMQ_LOG_LEVEL: 'warn' }, { config: { guards: { publishRatePerSec: 0 }, bridge: { enabled: false } } });
    const queued = () => fetchMetric(telemq.httpUrl, 'telemq_qos1_queued_messages');
    return { port: transport === 'tcp' ? telemq.ports.mqtt : telemq.ports.http, pid: telemq.child.pid!, stop: () => telemq.stop(), queued };
  }
  const mosquitto = await startMosquitto();
  return { port: transport === 'tcp' ? mosquitto.port : mosquitto.wsPort, pid: mosquitto.process!.pid!, stop: () => mosquitto.destroy(), queued: async () => 0 };
}

const cpuOf = (workers: FloodProcess[]) => workers.reduce((a, w) => a + (w.last.cpuSec ?? 0), 0);
const ackedOf = (pubs: FloodProcess[]) => pubs.reduce((a, p) => a + (p.last.acked ?? 0), 0);

async function measure(broker: BrokerName, transport: FloodTransport): Promise<RunResult> {
  const server = await startBroker(broker, transport);
  const topic = 'bench/fan-in';
  const subscriber = spawnFloodProcess('sub', transport, server.port, 1, topic, 0, 1);
  await subscriber.ready;
  const pubs = Array.from({ length: pubProcesses }, () => spawnFloodProcess('pub', transport, server.port, Math.ceil(publishers / pubProcesses), topic, payloadBytes, 1));
  await Promise.all(pubs.map((p) => p.ready));
  for (const p of pubs) p.go();
  await sleep(Number(values.warmup) * 1000);
  const workers = [subscriber, ...pubs];
  const [received0, generator0, broker0] = [subscriber.last.received ?? 0, cpuOf(workers), sampleProcessTree(server.pid).cpuSec];
  await sleep(seconds * 1000);
  const [received1, generator1, broker1] = [subscriber.last.received ?? 0, cpuOf(workers), sampleProcessTree(server.pid).cpuSec];
  for (const p of pubs) p.halt();
  // caught up: every acknowledged message delivered, or nothing new acknowledged or delivered for
  // 10 s with nothing left in the broker's queues (workers report once a second); at most 3 minutes
  let last = '';
  for (let still = 0, waited = 0; still < 10 && waited < 180; waited++) {
    await sleep(1000);
    if ((subscriber.last.received ?? 0) >= ackedOf(pubs)) break;
    const now = `${ackedOf(pubs)}/${subscriber.last.received}/${await server.queued()}`;
    still = now === last && now.endsWith('/0') ? still + 1 : 0;
    last = now;
  }
  const acked = ackedOf(pubs);
  const delivered = subscriber.last.received ?? 0;
  await Promise.all(workers.map((w) => w.stop()));
  await server.stop();
  return {
    broker,
    transport,
    deliveredPerSec: Math.round((received1 - received0) / seconds),
    acked,
    delivered,
    lost: Math.max(acked - delivered, 0),
    generatorCpuPct: Math.round(((generator1 - generator0) / seconds) * 100),
    brokerCpuPct: Math.round(((broker1 - broker0) / seconds) * 100),
  };
}

const results: RunResult[] = [];
console.log(`qos1-fan-in: ${publishers} publishers in ${pubProcesses} processes -> 1 subscriber, all QoS 1, ${payloadBytes}-byte payloads; ${runs} runs x ${seconds} s per broker and transport`);
for (const transport of transports) {
  for (let run = 1; run <= runs; run++) {
    // alternate the order so neither broker always runs on a warmer machine
    const order: BrokerName[] = run % 2 ? ['telemq', 'mosquitto'] : ['mosquitto', 'telemq'];
    for (const broker of order) {
      const r = await measure(broker, transport);
      results.push(r);
      const lossPct = r.acked > 0 ? ((100 * r.lost) / r.acked).toFixed(2) : '0';
      console.log(
        `  ${transport.padEnd(3)} run ${run} ${broker.padEnd(9)} delivered ${String(r.deliveredPerSec).padStart(7)} msg/s  acked ${r.acked}  lost ${r.lost} (${lossPct} %)  CPU generator ${r.generatorCpuPct} %  broker ${r.brokerCpuPct} %`,
      );
    }
  }
}

console.log('\nmedians:');
for (const transport of transports) {
  const of = (broker: BrokerName, pick: (r: RunResult) => number) => median(results.filter((r) => r.transport === transport && r.broker === broker).map(pick));
  const rate = (b: BrokerName) => of(b, (r) => r.deliveredPerSec);
  const ratio = rate('mosquitto') > 0 ? rate('telemq') / rate('mosquitto') : 0;
  const describe = (b: BrokerName) => `${b} ${rate(b)} msg/s, lost ${of(b, (r) => r.lost)}, CPU generator ${of(b, (r) => r.generatorCpuPct)} % / broker ${of(b, (r) => r.brokerCpuPct)} %`;
  console.log(`  ${transport.padEnd(3)} ${describe('telemq')};  ${describe('mosquitto')};  delivered ratio telemq/mosquitto ${ratio.toFixed(2)}`);
}
