// The start steps of app.ts, one function per part: each opens its part from what earlier steps
// opened (the Wiring) and returns what undoes it. The order lives in app.ts (startSteps).
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { AppDeps, BoundPorts } from './app.ts';
import { registerAuthHook } from './api/auth-hook.ts';
import { registerBridgeRulesRoute } from './api/bridge-rules.ts';
import { registerBrokerHistoryRoute } from './api/broker-history.ts';
import { registerConsoleSettingsRoute } from './api/console-settings.ts';
import { registerDemoFleetRoute, type DemoFleet } from './api/demo-fleet.ts';
import { registerDeviceTokensRoute } from './api/device-tokens.ts';
import { registerDevicesRoutes, createPresence, retainedStatusIds, storedDeviceIds, type Presence } from './api/devices.ts';
import { registerHealthRoutes } from './api/health.ts';
import { registerHistoryRoutes } from './api/history.ts';
import { createHttpServer } from './api/http-server.ts';
import { registerLoginRoute } from './api/login.ts';
import { registerPublishRoute } from './api/publish.ts';
import { registerSubscriptionCheckRoute } from './api/subscription-check.ts';
import { ensureSecret } from './auth/first-start.ts';
import { createAccessControl, type AccessControl } from './auth/index.ts';
import { loadKnownDevices } from './auth/known-devices.ts';
import { createBridge, type Bridge } from './bridge/bridge.ts';
import { createClusterBackends, type ClusterBackends } from './broker/cluster.ts';
import { createMqttBroker, type MqttBroker } from './broker/mqtt-broker.ts';
import { createSessionStore, type SessionStore } from './broker/persistence/index.ts';
import type { BrokerStats } from './broker/stats.ts';
import type { Config } from './config.ts';
import { createGuards, type Guards } from './guards/index.ts';
import type { Refusals } from './guards/refusals.ts';
import { registerLiveRoutes } from './live/index.ts';
import type { Logger } from './logger.ts';
import { registerBrokerMetrics } from './metrics.ts';
import { startSysStats } from './sys/sys-stats.ts';
import { createStore } from './stores/index.ts';
import type { TelemetryStore } from './stores/types.ts';
import { stopAccepting, listen, listenBacklog } from './transport/listen.ts';
import { createTcpListener } from './transport/tcp.ts';
import type { TrafficMeter } from './transport/traffic.ts';
import { attachWebSocket } from './transport/websocket.ts';

export type Close = () => Promise<void>;

/** What the steps share: the app's inputs, and each part as the step that opens it sets it. */
export interface Wiring {
  readonly config: Config;
  readonly deps: AppDeps;
  readonly log: Logger;
  readonly metrics: Registry;
  /** one instance for auth and guards: one counter, one log-once memory */
  readonly refusals: Refusals;
  readonly stats: BrokerStats;
  readonly traffic: TrafficMeter;
  readonly isClosing: () => boolean;
  guards?: Guards;
  access?: AccessControl;
  cluster?: ClusterBackends | null;
  sessions?: SessionStore | null;
  store?: TelemetryStore;
  broker?: MqttBroker;
  bridge?: Bridge;
  presence?: Presence;
  http?: FastifyInstance;
  demoFleet?: DemoFleet;
  ports?: BoundPorts;
}

/** A part opened by an earlier step; a step listed before the one it needs fails start-up here. */
export function need<K extends keyof Wiring>(w: Wiring, part: K): NonNullable<Wiring[K]> {
  const value = w[part];
  if (value === undefined || value === null) throw new Error(`start step order: ${part} is not open yet`);
  return value as NonNullable<Wiring[K]>;
}

const defaultConsoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console/dist');

export async function openGuards(w: Wiring): Promise<Close> {
  const guards = (w.guards = createGuards({ config: w.config.guards, metrics: w.metrics, refusals: w.refusals }));
  return guards.close;
}

export async function openAccess(w: Wiring): Promise<Close> {
  const access = (w.access = await createAccessControl({
    config: w.config.auth,
    dataDir: w.config.dataDir,
    log: w.log.child({ module: 'auth' }),
    metrics: w.metrics,
    refusals: w.refusals,
    limiter: need(w, 'guards').authLimiter,
    ...(w.deps.print ? { print: w.deps.print } : {}),
  }));
  return access.close;
}

export async function openCluster(w: Wiring): Promise<Close | null> {
  const cluster = (w.cluster = w.config.redisUrl ? createClusterBackends(w.config.redisUrl) : null);
  return cluster && (() => cluster.close());
}

export async function openSessions(w: Wiring): Promise<Close | null> {
  const { config } = w;
  const file = path.join(config.dataDir, 'sessions.sqlite');
  const sessions = (w.sessions = w.cluster ? null : createSessionStore({ file, config: config.guards, stats: w.stats, log: w.log.child({ module: 'sessions' }) }));
  return sessions && sessions.close;
}

export async function openStore(w: Wiring): Promise<Close> {
  const store = (w.store = createStore(w.config.store, { dataDir: w.config.dataDir, log: w.log.child({ module: 'store' }) }));
  return () => store.close();
}

export async function openBrokerAndBridge(w: Wiring): Promise<Close> {
  const { config, cluster, sessions } = w;
  const guards = need(w, 'guards');
  const broker = (w.broker = await createMqttBroker({
    ...(config.brokerId ? { id: config.brokerId } : {}),
    ...(cluster ? { persistence: cluster.persistence, mq: cluster.mq } : {}),
    ...(sessions ? { persistence: sessions.persistence, retained: sessions.retained, sessions: sessions.sessions } : {}),
    bounds: { config: config.guards, refuse: guards.refuseBound },
    hooks: guards.wrapHooks(need(w, 'access').hooks),
    guardConnection: guards.guardConnection,
    onProtocolViolation: guards.protocolViolation,
    log: w.log.child({ module: 'broker' }),
    keepaliveLimitSec: config.transport.keepaliveLimitSec,
    stats: w.stats,
    holdAcknowledgements: config.bridge.enabled && config.bridge.acknowledgeWhenDurable,
    limits: config.guards,
  }));
  let bridge: Bridge;
  try {
    bridge = w.bridge = await createBridge({ config: config.bridge, store: need(w, 'store'), broker, dataDir: config.dataDir, log: w.log.child({ module: 'bridge' }), metrics: w.metrics });
  } catch (err) {
    await broker.close();
    throw err;
  }
  // the bridge flushes once the broker, and with it the last client, is gone
  return async () => {
    await broker.close();
    await bridge.close();
  };
}

export async function openPresence(w: Wiring): Promise<Close> {
  const presence = (w.presence = await createPresence(need(w, 'broker'), need(w, 'access').devices.add));
  return () => presence.close();
}

export async function openKnownDevices(w: Wiring): Promise<Close> {
  const broker = need(w, 'broker');
  const store = need(w, 'store');
  const knownDevices = loadKnownDevices(
    need(w, 'access').devices,
    [
      { name: 'store', ids: () => storedDeviceIds(store) },
      { name: 'retained statuses', ids: () => retainedStatusIds(broker) },
    ],
    { onError: (source, err) => w.log.warn({ source, err: (err as Error).message }, 'known device ids not loaded; retrying') },
  );
  await knownDevices.ready;
  return () => knownDevices.close();
}

export async function openSysStats(w: Wiring): Promise<Close> {
  const broker = need(w, 'broker');
  const { stats, traffic } = w;
  registerBrokerMetrics(w.metrics, { stats, traffic, openConnections: () => need(w, 'guards').gate.open(), connectedClients: () => broker.connectedClients() });
  const sys = startSysStats({ broker, stats, traffic, intervalMs: w.config.sysIntervalMs, log: w.log.child({ module: 'sys' }) });
  return () => sys.close();
}

/** The HTTP API and the fallbacks; the server listens in the next step. */
export async function openHttp(w: Wiring): Promise<Close> {
  const { config, metrics } = w;
  const t = config.transport;
  const [access, store, broker, bridge] = [need(w, 'access'), need(w, 'store'), need(w, 'broker'), need(w, 'bridge')];
  const https = t.tls ? { cert: readFileSync(t.tls.certFile), key: readFileSync(t.tls.keyFile) } : null;
  const http = (w.http = createHttpServer({ log: w.log.child({ module: 'http' }), consoleDir: w.deps.consoleDir ?? defaultConsoleDir, https }));
  registerAuthHook(http, access);
  registerHealthRoutes(http, { metrics, notReadyReasons: () => (w.isClosing() ? ['shutting down'] : bridge.notReadyReasons()) });
  registerLoginRoute(http, access);
  registerHistoryRoutes(http, { store, access });
  registerDevicesRoutes(http, { store, presence: need(w, 'presence'), access });
  registerPublishRoute(http, { broker, access, limits: config.guards, metrics });
  registerSubscriptionCheckRoute(http, { access, limits: config.guards });
  registerConsoleSettingsRoute(http, { config: config.console, wsPath: t.ws.path, mqttPort: () => w.ports?.mqtt ?? 0 });
  const deviceTokenSecret = config.auth.mode === 'none' ? null : ensureSecret(config.dataDir, config.auth.jwtSecret, w.log);
  registerDeviceTokensRoute(http, { secret: deviceTokenSecret });
  registerBridgeRulesRoute(http, { config: config.bridge });
  const { stats } = w;
  const brokerHistory = registerBrokerHistoryRoute(http, {
    read: () => ({ connections: broker.connectedClients(), messagesIn: stats.messagesReceived, messagesOut: stats.messagesSent }),
    intervalMs: config.console.brokerHistoryIntervalMs,
    windowMs: config.console.brokerHistoryWindowMs,
  });
  w.demoFleet = registerDemoFleetRoute(http, { host: t.host, mqttPort: () => w.ports?.mqtt ?? 0, secret: deviceTokenSecret, log: w.log.child({ module: 'demo-fleet' }) });
  const live = registerLiveRoutes(http, { broker, access, log: w.log.child({ module: 'live' }), metrics, config: config.live });
  // the fallbacks' sessions end first, then the server stops answering
  return async () => {
    await brokerHistory.close();
    await live.close();
    await http.close();
  };
}

/**
 * The HTTP server with its WebSocket upgrade, MQTT over TCP and over TLS. Closing stops accepting
 * on every listener, then ends the clients' connections (their queued writes flushed), then cuts
 * whatever is left.
 */
export async function openListeners(w: Wiring): Promise<Close> {
  const { config, traffic } = w;
  const t = config.transport;
  const [guards, access, broker, http] = [need(w, 'guards'), need(w, 'access'), need(w, 'broker'), need(w, 'http')];
  const gate = guards.gate;
  const ws = attachWebSocket(http.server, {
    kind: t.tls ? 'wss' : 'ws',
    path: t.ws.path,
    pingIntervalMs: t.ws.pingIntervalMs,
    maxPayloadBytes: config.guards.maxPacketBytes,
    broker,
    gate,
    traffic,
    verifyUpgrade: guards.wrapVerifyUpgrade(access.verifyUpgrade),
    log: w.log.child({ module: 'websocket' }),
  });
  await http.listen({ port: t.httpPort, host: t.host, backlog: listenBacklog });
  const httpPort = (http.server.address() as { port: number }).port;
  const tcp = createTcpListener({ kind: 'tcp', broker, gate, traffic, log: w.log.child({ module: 'tcp' }) });
  let tlsServer: Server | null = null;
  const close = async () => {
    if (tlsServer?.listening) await stopAccepting(tlsServer);
    if (tcp.listening) await stopAccepting(tcp);
    ws.stopAccepting();
    await broker.disconnectClients(Math.min(2000, config.shutdownTimeoutMs / 2));
    await ws.close();
  };
  try {
    const mqttPort = await listen(tcp, t.mqttPort, t.host, 'MQTT over TCP');
    w.ports = { mqtt: mqttPort, mqtts: null, http: httpPort };
    if (t.tls) {
      tlsServer = createTcpListener({ kind: 'tls', broker, gate, traffic, log: w.log.child({ module: 'tls' }), tls: t.tls });
      w.ports.mqtts = await listen(tlsServer, t.mqttsPort, t.host, 'MQTT over TLS');
    }
  } catch (err) {
    await close();
    throw err;
  }
  return close;
}
