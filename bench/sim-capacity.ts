// How many devices the simulator drives at 1 msg/s each: one process, then the whole machine
// (--processes 2 on this 2-core machine, which also runs the broker).
//
//   npm run build && node --conditions=source --import tsx bench/sim-capacity.ts \
//     [--sizes 1000,2000,4000,8000,12000,16000,19000] [--processes 1,2] [--window 10] [--connect-rate 500] [--broker mosquitto|telemq]
//
// The target is Mosquitto by default, so that the figure is the simulator's and not the broker's
// (on 2 cores, telemq at 16k msg/s takes a core of its own; see sim-broker-load.ts).
// For each size a fresh broker and a fresh simulator over MQTT/TCP; a size
// "is driven" when every device is connected and the median msg/s over the window is at least 95%
// of the device count. The sweep for a process count stops at the first size that is not driven.
// Results: a table on stdout and bench/results/sim-capacity-<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startMosquitto } from '../test/support/services.ts';
import { flagValue, measure, root, startTelemq, type Broker, type Measurement } from './sim-support.ts';

const sizes = flagValue('sizes', '1000,2000,4000,8000,12000,16000,19000').split(',').map(Number);
const processCounts = flagValue('processes', '1,2').split(',').map(Number);
const windowS = Number(flagValue('window', '10'));
const connectRatePerSec = Number(flagValue('connect-rate', '500'));
const target = flagValue('broker', 'mosquitto');

async function startBroker(): Promise<Broker> {
  if (target === 'telemq') return startTelemq();
  const service = await startMosquitto();
  return { name: 'mosquitto', pid: service.process!.pid!, mqttUrl: service.url, close: () => service.destroy() };
}

const isDriven = (m: Measurement) => m.connected === m.devices && m.messagesPerSec >= 0.95 * m.devices;

const results: Array<Measurement & { driven: boolean }> = [];
for (const processes of processCounts) {
  for (const devices of sizes) {
    const broker = await startBroker();
    try {
      const m = await measure(broker, devices, processes, windowS, connectRatePerSec);
      const row = { ...m, driven: isDriven(m) };
      results.push(row);
      console.log(JSON.stringify(row));
      if (!row.driven) break;
    } finally {
      await broker.close();
    }
  }
}

console.log(`\ntarget: ${target}`);
console.log('| processes | devices | connected | msg/s | simulator CPU % | simulator RSS MB | broker CPU % | broker RSS MB | driven |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.processes} | ${r.devices} | ${r.connected} | ${r.messagesPerSec} | ${r.simCpuPct} | ${r.simRssMb} | ${r.brokerCpuPct} | ${r.brokerRssMb} | ${r.driven ? 'yes' : 'no'} |`);
}
for (const processes of processCounts) {
  const best = results.filter((r) => r.processes === processes && r.driven).at(-1);
  console.log(`processes ${processes}: drives ${best ? best.devices : 'fewer than ' + sizes[0]} devices at 1 msg/s`);
}
const dir = path.join(root, 'bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, `sim-capacity-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ target, windowS, results }, null, 2));
