// What acknowledged = stored costs: PUBACK latency at a fixed QoS 1 rate (p50/p99), and QoS 1
// throughput flat out (each connection keeps a window of unacknowledged messages), for telemq with
// bridge.acknowledgeWhenDurable on (PUBACK after the group-committed log) and off (PUBACK on arrival),
// and for Mosquitto (no durability before PUBACK) in the same run. Telemetry JSON without ts on
// devices/<id>/telemetry into the embedded store. The generator is this process: raw connections,
// pre-encoded PUBLISH packets with the message id patched in, several per write, PUBACKs read as
// 4-byte frames; its CPU is shown beside the broker's.
//
//   node --conditions=source --import tsx bench/acked-latency.ts [--runs 3] [--rate 5000] [--seconds 6] [--connections 20] [--window 64]
import net from 'node:net';
import { parseArgs } from 'node:util';
import mqttPacket from 'mqtt-packet';
import { startBrokerProcess } from '../test/support/broker-process.ts';
import { startMosquitto } from '../test/support/services.ts';
import { median, sampleProcessTree, sleep } from './sim-support.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '20' },
    window: { type: 'string', default: '64' },
  },
});
const runs = Number(values.runs);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const connections = Number(values.connections);
const window = Number(values.window);

type BrokerName = 'telemq acked' | 'telemq unacked' | 'mosquitto';

/** One device connection: sends QoS 1 PUBLISH packets, times each until its PUBACK. */
interface Device {
  send(count: number): void;
  /** called with the number of PUBACKs in each chunk read */
  onAcks: ((count: number) => void) | null;
  close(): void;
}

const latenciesMs: number[] = [];
let recording = false;
let acked = 0;

async function connectDevice(port: number, id: string): Promise<Device> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const packet = mqttPacket.generate({ cmd: 'publish', topic: `devices/${id}/telemetry`, payload: Buffer.from('{"temp":21.5,"hum":40.25,"on":true}'), qos: 1, messageId: 1, retain: false, dup: false });
  const idOffset = packet.length - 35 - 2; // the message id sits just before the payload
  const sentAt = new Float64Array(65536);
  let nextId = 1;
  let rest = Buffer.alloc(0);
  let connacked: (() => void) | null = null;
  const device: Device = {
    onAcks: null,
    send(count) {
      const out = Buffer.allocUnsafe(packet.length * count);
      const now = performance.now();
      for (let i = 0; i < count; i++) {
        packet.copy(out, i * packet.length);
        out.writeUInt16BE(nextId, i * packet.length + idOffset);
        sentAt[nextId] = now;
        nextId = nextId === 65535 ? 1 : nextId + 1;
      }
      socket.write(out);
    },
    close: () => socket.destroy(),
  };
  socket.on('data', (chunk: Buffer) => {
    const bytes = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    let count = 0;
    const now = performance.now();
    for (; at + 4 <= bytes.length; at += 4) {
      if (bytes[at] === 0x20) {
        connacked?.();
        continue;
      }
      if (recording) latenciesMs.push(now - sentAt[bytes.readUInt16BE(at + 2)]!);
      count++;
    }
    rest = Buffer.from(bytes.subarray(at));
    acked += count;
    if (count > 0) device.onAcks?.(count);
  });
  socket.on('error', () => {});
  const ready = new Promise<void>((resolve) => (connacked = resolve));
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: id, keepalive: 0 }));
  await ready;
  return device;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Result {
  broker: BrokerName;
  p50Ms: number;
  p99Ms: number;
  flatOutPerSec: number;
  brokerCpu: { paced: number; flatOut: number };
  generatorCpu: { paced: number; flatOut: number };
  pointsPerFsync: number | null;
  meanCommitMs: number | null;
}

async function measure(broker: BrokerName, run: number): Promise<Result> {
  let port: number;
  let pid: number;
  let stop: () => Promise<unknown>;
  let metricsUrl: string | null = null;
  if (broker === 'mosquitto') {
    const mosquitto = await startMosquitto();
    [port, pid, stop] = [mosquitto.port, mosquitto.process!.pid!, () => mosquitto.destroy()];
  } else {
    const telemq = await startBrokerProcess({ TELEMQ_LOG_LEVEL: 'warn' }, { config: { guards: { publishRatePerSec: 0 }, bridge: { acknowledgeWhenDurable: broker === 'telemq acked' } } });
    [port, pid, stop, metricsUrl] = [telemq.ports.mqtt, telemq.child.pid!, () => telemq.stop(), `${telemq.httpUrl}/metrics`];
  }
  const devices = await Promise.all(Array.from({ length: connections }, (_, i) => connectDevice(port, `bench-${run}-${i}`)));
  const cpuShare = async (phase: () => Promise<void>) => {
    const b0 = sampleProcessTree(pid).cpuSec;
    const g0 = process.cpuUsage();
    const t0 = performance.now();
    await phase();
    const wallSec = (performance.now() - t0) / 1000;
    const g = process.cpuUsage(g0);
    return { broker: (sampleProcessTree(pid).cpuSec - b0) / wallSec, generator: (g.user + g.system) / 1e6 / wallSec };
  };

  // paced: `rate` msg/s spread over the connections, sent every 10 ms by how many are due
  let running = true;
  let due = 0;
  let turn = 0;
  const pace = setInterval(() => {
    due += rate / 100;
    const perDevice = Math.floor(due / connections);
    if (perDevice === 0) {
      devices[turn++ % connections]!.send(1);
      due -= 1;
      return;
    }
    for (const d of devices) d.send(perDevice);
    due -= perDevice * connections;
  }, 10);
  await sleep(warmupSeconds * 1000);
  latenciesMs.length = 0;
  recording = true;
  const paced = await cpuShare(() => sleep(seconds * 1000));
  recording = false;
  clearInterval(pace);
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  await sleep(500);

  // flat out: every connection keeps `window` messages unacknowledged
  for (const d of devices) d.onAcks = (count) => running && d.send(count);
  for (const d of devices) d.send(window);
  await sleep(warmupSeconds * 1000);
  const acked0 = acked;
  const flat = await cpuShare(() => sleep(seconds * 1000));
  const flatOutPerSec = Math.round((acked - acked0) / seconds);
  running = false;

  let pointsPerFsync: number | null = null;
  let meanCommitMs: number | null = null;
  if (metricsUrl) {
    const text = await (await fetch(metricsUrl)).text();
    const read = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? 0);
    const commits = read('telemq_bridge_ack_log_commits_total');
    pointsPerFsync = commits > 0 ? read('telemq_bridge_ack_log_messages_total') / commits : null;
    meanCommitMs = commits > 0 ? (read('telemq_bridge_ack_log_commit_seconds_sum') / commits) * 1000 : null;
  }
  for (const d of devices) d.close();
  await stop();
  return {
    broker,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    flatOutPerSec,
    brokerCpu: { paced: paced.broker, flatOut: flat.broker },
    generatorCpu: { paced: paced.generator, flatOut: flat.generator },
    pointsPerFsync,
    meanCommitMs,
  };
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
console.log(`acked-latency: ${connections} connections, QoS 1 at ${rate} msg/s for latency, then a window of ${window} per connection flat out; ${runs} runs x ${seconds} s per broker`);
const results: Result[] = [];
const brokers: BrokerName[] = ['telemq acked', 'telemq unacked', 'mosquitto'];
for (let run = 1; run <= runs; run++) {
  const order = run % 2 ? brokers : [...brokers].reverse();
  for (const broker of order) {
    // on a crowded machine a broker may miss its start-up deadline: try again rather than lose the run
    const r = await measure(broker, run).catch((err: unknown) => {
      console.log(`  run ${run} ${broker}: ${String(err).slice(0, 120)}; again`);
      return measure(broker, run);
    });
    results.push(r);
    console.log(
      `  run ${run} ${broker.padEnd(14)} PUBACK p50 ${fmt(r.p50Ms)} ms p99 ${fmt(r.p99Ms)} ms (broker CPU ${fmt(r.brokerCpu.paced)}, generator ${fmt(r.generatorCpu.paced)})` +
        `  flat out ${String(r.flatOutPerSec).padStart(6)} msg/s (broker CPU ${fmt(r.brokerCpu.flatOut)}, generator ${fmt(r.generatorCpu.flatOut)})${r.pointsPerFsync ? `  ${fmt(r.pointsPerFsync, 0)} msgs per commit of ${fmt(r.meanCommitMs ?? NaN)} ms` : ''}`,
    );
  }
}
console.log(`\nmedians (load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)} on ${(await import('node:os')).availableParallelism()} cores):`);
const mosquittoRate = median(results.filter((r) => r.broker === 'mosquitto').map((r) => r.flatOutPerSec));
for (const broker of brokers) {
  const of = (pick: (r: Result) => number) => median(results.filter((r) => r.broker === broker).map(pick));
  const flat = of((r) => r.flatOutPerSec);
  console.log(
    `  ${broker.padEnd(14)} PUBACK p50 ${fmt(of((r) => r.p50Ms))} ms  p99 ${fmt(of((r) => r.p99Ms))} ms  flat out ${Math.round(flat)} msg/s (x${fmt(flat / mosquittoRate)} mosquitto)` +
      `  generator CPU ${fmt(of((r) => r.generatorCpu.flatOut))} vs broker ${fmt(of((r) => r.brokerCpu.flatOut))}`,
  );
}
