// One load-generator process for bench/compare.ts and bench/qos1-fan-in.ts: `pub` opens N
// connections writing QoS 0 or 1 PUBLISH flat out (the first line on stdin starts them, the second
// halts them); `sub` subscribes at that QoS and counts PUBLISH packets by their fixed headers only
// (at QoS 1 it reads the packet identifier and answers PUBACKs, one write per chunk). Prints one
// JSON line per second on stdout, with its own CPU time.
import { connectFlood, type FloodTransport } from '../test/support/flood.ts';
import { countPublishes } from './packet-counter.ts';

const [mode, transport, portText, countText, topic, payloadText, qosText] = process.argv.slice(2);
const qos = qosText === '1' ? 1 : 0;
const cpuSec = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
const target = { transport: transport as FloodTransport, port: Number(portText) };

if (mode === 'pub') {
  const flood = await connectFlood(target, { publishers: Number(countText), topic: topic!, payloadBytes: Number(payloadText), qos, clientPrefix: `bench-${process.pid}` });
  // starts on a line on stdin, so every publisher process is connected before any floods
  let lines = 0;
  process.stdin.on('data', (d: Buffer) => {
    for (const byte of d) if (byte === 10 && ++lines === 1) flood.start();
    if (lines >= 2) flood.halt();
  });
  setInterval(() => process.stdout.write(JSON.stringify({ sent: flood.sent(), acked: flood.acked(), lost: flood.lost(), cpuSec: cpuSec() }) + '\n'), 1000);
  process.on('SIGTERM', () => void flood.stop().then(() => process.exit(0)));
} else {
  const counter = await countPublishes(target, topic!, qos);
  setInterval(() => process.stdout.write(JSON.stringify({ received: counter.received(), cpuSec: cpuSec() }) + '\n'), 1000);
  process.on('SIGTERM', () => process.exit(0));
}
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
