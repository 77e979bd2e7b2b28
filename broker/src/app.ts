// Wires the parts together and decides nothing: each part gets its config and its dependencies,
// start() opens them in order and close() undoes it in reverse.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerHealthRoutes } from './api/health.ts';
import { createHttpServer } from './api/http-server.ts';
import { createAccessControl } from './auth/index.ts';
import { createMqttBroker, type MqttBroker } from './broker/mqtt-broker.ts';
import type { Config } from './config.ts';
import { registerLiveRoutes } from './live/index.ts';
import type { Logger } from './logger.ts';
import { createMetricsRegistry } from './metrics.ts';
import { createCountingGate } from './transport/gate.ts';
import { stopAccepting, listen } from './transport/listen.ts';
import { createTcpListener } from './transport/tcp.ts';
import { attachWebSocket } from './transport/websocket.ts';

export interface AppDeps {
  log: Logger;
  /** built console to serve at /; default console/dist next to the broker package */
  consoleDir?: string;
}

export interface BoundPorts {
  mqtt: number;
  mqtts: number | null;
  http: number;
}

export interface App {
  readonly config: Config;
  start(): Promise<BoundPorts>;
  close(): Promise<void>;
  /** valid after start() */
  readonly broker: MqttBroker;
}

const defaultConsoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console/dist');

export function createApp(config: Config, deps: AppDeps): App {
  const { log } = deps;
  const closers: Array<{ name: string; close: () => Promise<void> }> = [];
  let broker: MqttBroker | undefined;
  let closing = false;

  async function start(): Promise<BoundPorts> {
    const t = config.transport;
    const metrics = createMetricsRegistry();
    const access = await createAccessControl({ config: config.auth, dataDir: config.dataDir, log: log.child({ module: 'auth' }), metrics });
    closers.push({ name: 'auth', close: access.close });

    broker = await createMqttBroker({
      ...(config.brokerId ? { id: config.brokerId } : {}),
      hooks: access.hooks,
      log: log.child({ module: 'broker' }),
      keepaliveLimitSec: t.keepaliveLimitSec,
    });
    const mqtt = broker;
    closers.push({ name: 'broker', close: () => mqtt.close() });

    const gate = createCountingGate();
    const https = t.tls ? { cert: readFileSync(t.tls.certFile), key: readFileSync(t.tls.keyFile) } : null;
    const http = createHttpServer({ log: log.child({ module: 'http' }), consoleDir: deps.consoleDir ?? defaultConsoleDir, https });
    registerHealthRoutes(http, { metrics, notReadyReasons: () => (closing ? ['shutting down'] : []) });
    const live = registerLiveRoutes(http, { broker: mqtt, access, log: log.child({ module: 'live' }), metrics });
    const ws = attachWebSocket(http.server, {
      kind: t.tls ? 'wss' : 'ws',
      path: t.ws.path,
      pingIntervalMs: t.ws.pingIntervalMs,
      maxPayloadBytes: config.guards.maxPacketBytes,
      broker: mqtt,
      gate,
      verifyUpgrade: access.verifyUpgrade,
      log: log.child({ module: 'websocket' }),
    });
    await http.listen({ port: t.httpPort, host: t.host });
    closers.push({ name: 'http', close: () => http.close() });
    closers.push({ name: 'live', close: () => live.close() });
    closers.push({ name: 'websocket', close: () => ws.close() });
    const httpPort = (http.server.address() as { port: number }).port;

    const tcp = createTcpListener({ kind: 'tcp', broker: mqtt, gate, log: log.child({ module: 'tcp' }) });
    const mqttPort = await listen(tcp, t.mqttPort, t.host, 'MQTT over TCP');
    closers.push({ name: 'tcp', close: () => stopAccepting(tcp) });

    let mqttsPort: number | null = null;
    if (t.tls) {
      const tlsServer: Server = createTcpListener({ kind: 'tls', broker: mqtt, gate, log: log.child({ module: 'tls' }), tls: t.tls });
      mqttsPort = await listen(tlsServer, t.mqttsPort, t.host, 'MQTT over TLS');
      closers.push({ name: 'tls', close: () => stopAccepting(tlsServer) });
    }

    const ports = { mqtt: mqttPort, mqtts: mqttsPort, http: httpPort };
    log.info({ ports, brokerId: mqtt.id }, 'telemq started');
    return ports;
  }

  async function close(): Promise<void> {
    closing = true;
    // Listeners stop accepting first (they were opened last), then clients are closed, then stores.
    for (const { name, close } of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        log.warn({ err, part: name }, 'close failed');
      }
    }
    closers.length = 0;
  }

  return {
    config,
    start,
    close,
    get broker() {
      if (!broker) throw new Error('app not started');
      return broker;
    },
  };
}
