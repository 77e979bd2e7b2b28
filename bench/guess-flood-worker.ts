// The load generator of bench/guess-flood.ts, in its own process: keeps `--concurrent` CONNECTs with
// wrong passwords outstanding against one MQTT port (a new one as soon as one is answered or
// closed) for `--seconds`, from CONNECT packets encoded once at start. Prints one JSON line when
// done: attempts, CONNACK codes and its own CPU seconds.
import net from 'node:net';
import mqttPacket from 'mqtt-packet';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const port = Number(arg('port', '1883'));
const concurrent = Number(arg('concurrent', '500'));
const seconds = Number(arg('seconds', '10'));

// distinct unknown user names: neither the per-user back-off nor a remembered password applies
const packets = Array.from({ length: concurrent * 4 }, (_, i) =>
  mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: `guess-${process.pid}-${i}`, username: `guess-${i}`, password: Buffer.from(`wrong-password-${i}`) } as mqttPacket.IConnectPacket),
);
const codes: Record<string, number> = {};
let attempts = 0;
let next = 0;
const endAtMs = Date.now() + seconds * 1000;
let open = 0;

function guess(): void {
  if (Date.now() >= endAtMs) {
    if (open === 0) finish();
    return;
  }
  open++;
  attempts++;
  const socket = net.connect(port, '127.0.0.1');
  let answered = false;
  socket.once('connect', () => socket.write(packets[next++ % packets.length]!));
  socket.once('data', (data: Buffer) => {
    // CONNACK: 0x20 0x02 <flags> <code>
    const code = data[0] === 0x20 && data.length >= 4 ? String(data[3]) : 'other';
    codes[code] = (codes[code] ?? 0) + 1;
    answered = true;
    socket.destroy();
  });
  socket.on('error', () => {});
  socket.once('close', () => {
    if (!answered) codes.closed = (codes.closed ?? 0) + 1;
    open--;
    guess();
  });
}

let finished = false;
function finish(): void {
  if (finished) return;
  finished = true;
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({ attempts, codes, cpuSec: (cpu.user + cpu.system) / 1e6 }) + '\n');
  process.exit(0);
}

for (let i = 0; i < concurrent; i++) guess();
// guesses still waiting for an answer long after the end are not waited for
setTimeout(finish, seconds * 1000 + 30_000).unref();
process.stdout.write('flooding\n');
