// One load-generator process for bench/compare.ts: `pub` opens N connections writing QoS 0
// PUBLISH flat out; `sub` subscribes and counts PUBLISH packets by their fixed headers only (no
// decoding, so the counter is never the bottleneck). Prints one JSON line per second on stdout.
import { connectFlood, type FloodTransport } from '../test/support/flood.ts';
import { countPublishes } from './packet-counter.ts';

const [mode, transport, portText, countText, topic, payloadText] = process.argv.slice(2);
const target = { transport: transport as FloodTransport, port: Number(portText) };

if (mode === 'pub') {
  const flood = await connectFlood(target, { publishers: Number(countText), topic: topic!, payloadBytes: Number(payloadText), clientPrefix: `bench-${process.pid}` });
  // starts on a line on stdin, so every publisher process is connected before any floods
  process.stdin.once('data', () => flood.start());
  setInterval(() => process.stdout.write(JSON.stringify({ sent: flood.sent(), lost: flood.lost() }) + '\n'), 1000);
  process.on('SIGTERM', () => void flood.stop().then(() => process.exit(0)));
} else {
  const counter = await countPublishes(target, topic!);
  setInterval(() => process.stdout.write(JSON.stringify({ received: counter.received() }) + '\n'), 1000);
  process.on('SIGTERM', () => process.exit(0));
}
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
