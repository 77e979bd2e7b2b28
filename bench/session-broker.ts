// The broker core alone, for bench/session-persistence.ts: createMqttBroker behind a TCP listener,
// auth open, with aedes' memory persistence or the embedded SQLite one. Prints its port, runs until SIGTERM.
//   node --conditions=source --import tsx bench/session-broker.ts memory|sqlite DATA_DIR
import path from 'node:path';
import { createMqttBroker } from '../broker/src/broker/mqtt-broker.ts';
import { createSessionStore } from '../broker/src/broker/persistence/index.ts';
import { createBrokerStats } from '../broker/src/broker/stats.ts';
import { openHooks } from '../broker/src/broker/types.ts';
import { guardsConfigSchema } from '../broker/src/guards/config.ts';
import { createLogger } from '../broker/src/logger.ts';
import { createTcpListener } from '../broker/src/transport/tcp.ts';
import { createTrafficMeter } from '../broker/src/transport/traffic.ts';

const [mode, dataDir] = process.argv.slice(2);
const log = createLogger('warn');
const stats = createBrokerStats();
const guards = guardsConfigSchema.parse({});
const store = mode === 'sqlite' ? createSessionStore({ file: path.join(dataDir!, 'sessions.sqlite'), config: guards, stats, log }) : null;
const broker = await createMqttBroker({
  hooks: openHooks,
  log,
  keepaliveLimitSec: 600,
  stats,
  limits: guards,
  ...(store ? { persistence: store.persistence, retained: store.retained, sessions: store.sessions } : {}),
});
const gate = { admit: () => ({ ok: true as const, release() {} }), open: () => ({ tcp: 0, tls: 0, ws: 0, wss: 0 }) };
const server = createTcpListener({ kind: 'tcp', broker, gate, traffic: createTrafficMeter(), log });
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n'));
// the event-loop time the group commits have taken so far, asked by the bench at both ends of its window
process.on('SIGUSR2', () => process.stdout.write(JSON.stringify(store?.commitStats() ?? null) + '\n'));
process.on('SIGTERM', () => {
  server.close();
  void broker.close().then(async () => {
    await store?.close();
    process.exit(0);
  });
});
