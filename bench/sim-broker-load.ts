// The broker's CPU and RSS with 1k, 5k and 19k simulated devices connected, each publishing
// 1 msg/s over MQTT/TCP, side by side with Mosquitto under the same load (this machine's
// open-file limit is 20,000, so 19k devices leave room for the rest).
//
//   npm run build && node --conditions=source --import tsx bench/sim-broker-load.ts \
//     [--sizes 1000,5000,19000] [--runs 3] [--window 10] [--connect-rate 500] [--processes 2] [--bridge on|off]
//
// --bridge off measures the broker alone (telemetry routed, not written to the embedded store),
// like for like with Mosquitto, which stores nothing.
//
// Each run starts a fresh broker, connects the fleet (--connect-rate, 500/s by default), waits 2 s, then samples
// /proc over the window. Medians over the runs; ratios telemq / Mosquitto.
// Results: a table on stdout and bench/results/sim-broker-load-<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startMosquitto } from '../test/support/services.ts';
import { flagValue, measure, median, root, startTelemq, type Broker, type Measurement } from './sim-support.ts';

const sizes = flagValue('sizes', '1000,5000,19000').split(',').map(Number);
const runs = Number(flagValue('runs', '3'));
const windowS = Number(flagValue('window', '10'));
const connectRatePerSec = Number(flagValue('connect-rate', '500'));
const processes = Number(flagValue('processes', '2'));
const bridge = flagValue('bridge', 'on') !== 'off';

async function startMosquittoBroker(): Promise<Broker> {
  const service = await startMosquitto();
  return { name: 'mosquitto', pid: service.process!.pid!, mqttUrl: service.url, close: () => service.destroy() };
}

const brokers: Array<[string, () => Promise<Broker>]> = [
  ['telemq', () => startTelemq({ bridge })],
  ['mosquitto', startMosquittoBroker],
];

const raw: Array<Measurement & { broker: string; run: number }> = [];
for (let run = 1; run <= runs; run++) {
  for (const devices of sizes) {
    for (const [name, start] of brokers) {
      const broker = await start();
      try {
        const m = { ...(await measure(broker, devices, processes, windowS, connectRatePerSec)), broker: name, run };
        raw.push(m);
        console.log(JSON.stringify(m));
      } finally {
        await broker.close();
      }
    }
  }
}

console.log(`\nmedians of ${runs} runs, ${windowS} s windows, simulator with --processes ${processes}, telemq bridge ${bridge ? 'on' : 'off'}`);
console.log('| devices | broker | connected | msg/s | broker CPU % | broker RSS MB | CPU vs Mosquitto | RSS vs Mosquitto |');
console.log('|---|---|---|---|---|---|---|---|');
const summary = [];
for (const devices of sizes) {
  const of = (name: string) => raw.filter((r) => r.devices === devices && r.broker === name);
  const stat = (name: string, key: 'brokerCpuPct' | 'brokerRssMb' | 'messagesPerSec' | 'connected') => median(of(name).map((r) => r[key]));
  for (const [name] of brokers) {
    const row = {
      devices,
      broker: name,
      connected: stat(name, 'connected'),
      messagesPerSec: stat(name, 'messagesPerSec'),
      cpuPct: stat(name, 'brokerCpuPct'),
      rssMb: stat(name, 'brokerRssMb'),
      cpuRatio: stat(name, 'brokerCpuPct') / Math.max(1, stat('mosquitto', 'brokerCpuPct')),
      rssRatio: stat(name, 'brokerRssMb') / Math.max(1, stat('mosquitto', 'brokerRssMb')),
    };
    summary.push(row);
    console.log(`| ${devices} | ${name} | ${row.connected} | ${row.messagesPerSec} | ${row.cpuPct} | ${row.rssMb} | ${row.cpuRatio.toFixed(1)}× | ${row.rssRatio.toFixed(1)}× |`);
  }
}
const dir = path.join(root, 'bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, `sim-broker-load-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ runs, windowS, processes, bridge, raw, summary }, null, 2));
