// Wires the parts together and decides nothing: each part gets its config and its dependencies,
// start() opens them in order and close() undoes it in reverse.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerBridgeRulesRoute } from './api/bridge-rules.ts';
import { registerBrokerHistoryRoute } from './api/broker-history.ts';
import { registerConsoleSettingsRoute } from './api/console-settings.ts';
import { registerDeviceTokensRoute } from './api/device-tokens.ts';
import { registerDemoFleetRoute } from './api/demo-fleet.ts';
import { registerDevicesRoutes, createPresence, retainedStatusIds, storedDeviceIds } from './api/devices.ts';
import { registerHealthRoutes } from './api/health.ts';
import { registerHistoryRoutes } from './api/history.ts';
import { createHttpServer } from './api/http-server.ts';
import { registerLoginRoute } from './api/login.ts';
import { registerPublishRoute } from './api/publish.ts';
import { ensureSecret } from './auth/first-start.ts';
import { createAccessControl } from './auth/index.ts';
import { loadKnownDevices } from './auth/known-devices.ts';
import { createClusterBackends } from './broker/cluster.ts';
import { createBridge } from './bridge/bridge.ts';
import { createMqttBroker, type MqttBroker } from './broker/mqtt-broker.ts';
import { createSessionStore } from './broker/persistence/index.ts';
import { createBrokerStats } from './broker/stats.ts';
import type { Config } from './config.ts';
import { createGuards } from './guards/index.ts';
import { registerLiveRoutes } from './live/index.ts';
import type { Logger } from './logger.ts';
import { createMetricsRegistry, registerBrokerMetrics } from './metrics.ts';
import { startSysStats } from './sys/sys-stats.ts';
import { createStore } from './stores/index.ts';
import { stopAccepting, listen, listenBacklog } from './transport/listen.ts';
import { createTcpListener } from './transport/tcp.ts';
import { createTrafficMeter } from './transport/traffic.ts';
import { attachWebSocket } from './transport/websocket.ts';

export interface AppDeps {
  log: Logger;
  /** built console to serve at /; default console/dist next to the broker package */
  consoleDir?: string;
  /** where a generated admin login is shown once at first start; default stdout */
  print?: (text: string) => void;
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
    /** the bound MQTT over TCP port, once listening */
    let mqttPort = 0;
    const metrics = createMetricsRegistry();
    const guards = createGuards({ config: config.guards, log: log.child({ module: 'guards' }), metrics });
    closers.push({ name: 'guards', close: guards.close });
    const access = await createAccessControl({
      config: config.auth,
      dataDir: config.dataDir,
      log: log.child({ module: 'auth' }),
      metrics,
      limiter: guards.authLimiter,
      ...(deps.print ? { print: deps.print } : {}),
    });
    closers.push({ name: 'auth', close: access.close });

    const cluster = config.redisUrl ? createClusterBackends(config.redisUrl) : null;
    if (cluster) closers.push({ name: 'cluster', close: () => cluster.close() });
    const stats = createBrokerStats();
    // Without Redis, sessions persist in their own SQLite file; closed after the broker (closers run in reverse).
    const embedded = cluster ? null : createSessionStore({ file: path.join(config.dataDir, 'sessions.sqlite'), config: config.guards, stats, log: log.child({ module: 'sessions' }) });
    if (embedded) closers.push({ name: 'sessions', close: embedded.close });
    broker = await createMqttBroker({
      ...(config.brokerId ? { id: config.brokerId } : {}),
      ...(cluster ? { persistence: cluster.persistence, mq: cluster.mq } : {}),
      ...(embedded ? { persistence: embedded.persistence, retained: embedded.retained, sessions: embedded.sessions } : {}),
      bounds: { config: config.guards, refuse: (reason, client) => guards.refuse(reason, client) },
      hooks: guards.wrapHooks(access.hooks),
      guardConnection: guards.guardConnection,
      onProtocolViolation: guards.protocolViolation,
      log: log.child({ module: 'broker' }),
      keepaliveLimitSec: t.keepaliveLimitSec,
      stats,
      holdAcknowledgements: config.bridge.enabled && config.bridge.acknowledgeWhenDurable,
      limits: config.guards,
    });
    const mqtt = broker;
    closers.push({ name: 'broker', close: () => mqtt.close() });

    const store = createStore(config.store, { dataDir: config.dataDir, log: log.child({ module: 'store' }) });
    const bridge = await createBridge({ config: config.bridge, store, broker: mqtt, dataDir: config.dataDir, log: log.child({ module: 'bridge' }), metrics });
    // Inserted before the broker's closer: the bridge flushes after the last client is gone, then the store closes.
    closers.splice(closers.length - 1, 0, { name: 'store', close: () => store.close() }, { name: 'bridge', close: () => bridge.close() });
    const presence = await createPresence(mqtt, access.devices.add);
    closers.push({ name: 'presence', close: () => presence.close() });
    // Before any listener opens: device ids known from before this start are never given to another session.
    const knownDevices = loadKnownDevices(
      access.devices,
      [
        { name: 'store', ids: () => storedDeviceIds(store) },
        { name: 'retained statuses', ids: () => retainedStatusIds(mqtt) },
      ],
      { onError: (source, err) => log.warn({ source, err: (err as Error).message }, 'known device ids not loaded; retrying') },
    );
    closers.push({ name: 'known devices', close: () => knownDevices.close() });
    await knownDevices.ready;

    const gate = guards.gate;
    const traffic = createTrafficMeter();
    registerBrokerMetrics(metrics, { stats, traffic, openConnections: () => gate.open(), connectedClients: () => mqtt.connectedClients() });
    const sys = startSysStats({ broker: mqtt, stats, traffic, intervalMs: config.sysIntervalMs, log: log.child({ module: 'sys' }) });
    closers.push({ name: 'sys', close: () => sys.close() });
    const https = t.tls ? { cert: readFileSync(t.tls.certFile), key: readFileSync(t.tls.keyFile) } : null;
    const http = createHttpServer({ log: log.child({ module: 'http' }), consoleDir: deps.consoleDir ?? defaultConsoleDir, https });
    registerHealthRoutes(http, { metrics, notReadyReasons: () => (closing ? ['shutting down'] : bridge.notReadyReasons()) });
    registerLoginRoute(http, access);
    registerHistoryRoutes(http, { store, access });
    registerDevicesRoutes(http, { store, presence, access });
    registerPublishRoute(http, { broker: mqtt, access, limits: config.guards, metrics });
    registerBridgeRulesRoute(http, { config: config.bridge, access });
    closers.push({ name: 'broker history', close: registerBrokerHistoryRoute(http, { access, read: () => ({ connections: mqtt.connectedClients(), messagesIn: stats.messagesReceived, messagesOut: stats.messagesSent }), intervalMs: config.console.brokerHistoryIntervalMs, windowMs: config.console.brokerHistoryWindowMs }).close });
    registerConsoleSettingsRoute(http, { config: config.console, access, wsPath: t.ws.path, mqttPort: () => mqttPort });
    registerDeviceTokensRoute(http, { access, secret: config.auth.mode === 'none' ? null : ensureSecret(config.dataDir, config.auth.jwtSecret, log) });
    const demoFleet = registerDemoFleetRoute(http, { access, host: t.host, mqttPort: () => mqttPort, secret: config.auth.mode === 'none' ? null : ensureSecret(config.dataDir, config.auth.jwtSecret, log), log: log.child({ module: 'demo-fleet' }) });
    const live = registerLiveRoutes(http, { broker: mqtt, access, log: log.child({ module: 'live' }), metrics, config: config.live });
    const ws = attachWebSocket(http.server, {
      kind: t.tls ? 'wss' : 'ws',
      path: t.ws.path,
      pingIntervalMs: t.ws.pingIntervalMs,
      maxPayloadBytes: config.guards.maxPacketBytes,
      broker: mqtt,
      gate,
      traffic,
      verifyUpgrade: guards.wrapVerifyUpgrade(access.verifyUpgrade),
      log: log.child({ module: 'websocket' }),
    });
    await http.listen({ port: t.httpPort, host: t.host, backlog: listenBacklog });
    closers.push({ name: 'http', close: () => http.close() });
    closers.push({ name: 'live', close: () => live.close() });
    const httpPort = (http.server.address() as { port: number }).port;

    const tcp = createTcpListener({ kind: 'tcp', broker: mqtt, gate, traffic, log: log.child({ module: 'tcp' }) });
    mqttPort = await listen(tcp, t.mqttPort, t.host, 'MQTT over TCP');
    let tlsServer: Server | null = null;
    let mqttsPort: number | null = null;
    if (t.tls) {
      tlsServer = createTcpListener({ kind: 'tls', broker: mqtt, gate, traffic, log: log.child({ module: 'tls' }), tls: t.tls });
      mqttsPort = await listen(tlsServer, t.mqttsPort, t.host, 'MQTT over TLS');
    }
    // Closing: stop accepting on every listener, then end the clients' connections (their queued
    // writes flushed), then whatever is left is cut; http, broker and stores close after that.
    closers.push({
      name: 'listeners',
      close: async () => {
        if (tlsServer) await stopAccepting(tlsServer);
        await stopAccepting(tcp);
        ws.stopAccepting();
        await mqtt.disconnectClients(Math.min(2000, config.shutdownTimeoutMs / 2));
        await ws.close();
      },
    });

    closers.push({ name: 'demo fleet', close: demoFleet.close }); // closed first: its devices leave while the listeners are open
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
