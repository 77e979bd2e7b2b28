// How many devices the simulator drives at 1 msg/s each: one process, then the whole machine
// (--processes 2 on this 2-core machine, which also runs the broker).
//
//   npm run build && node --conditions=source --import tsx bench/sim-capacity.ts \
//     [--sizes 1000,2000,4000,8000,12000,16000,19000] [--processes 1,2] [--window 10]
//
// For each size a fresh telemq broker (auth off) and a fresh simulator over MQTT/TCP; a size
// "is driven" when every device is connected and the median msg/s over the window is at least 95%
// of the device count. The sweep for a process count stops at the first size that is not driven.
// Results: a table on stdout and bench/results/sim-capacity-<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { flagValue, measure, root, startTelemq, type Measurement } from './sim-support.ts';

const sizes = flagValue('sizes', '1000,2000,4000,8000,12000,16000,19000').split(',').map(Number);
const processCounts = flagValue('processes', '1,2').split(',').map(Number);
const windowS = Number(flagValue('window', '10'));

const isDriven = (m: Measurement) => m.connected === m.devices && m.messagesPerSec >= 0.95 * m.devices;

const results: Array<Measurement & { driven: boolean }> = [];
for (const processes of processCounts) {
  for (const devices of sizes) {
    const broker = await startTelemq();
    try {
      const m = await measure(broker, devices, processes, windowS);
      const row = { ...m, driven: isDriven(m) };
      results.push(row);
      console.log(JSON.stringify(row));
      if (!row.driven) break;
    } finally {
      await broker.close();
    }
  }
}

console.log('\n| processes | devices | connected | msg/s | simulator CPU % | simulator RSS MB | broker CPU % | broker RSS MB | driven |');
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
writeFileSync(path.join(dir, `sim-capacity-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ windowS, results }, null, 2));
