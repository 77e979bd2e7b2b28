// Wires the parts together and decides nothing. start() runs `startSteps` in order; each step opens
// one part and returns its closer, and close() runs the closers in reverse, so the close order is
// the list read from the bottom up (as aedes lists its connectActions).
import type { MqttBroker } from './broker/mqtt-broker.ts';
import { createBrokerStats } from './broker/stats.ts';
import type { Config } from './config.ts';
import { createRefusals } from './guards/refusals.ts';
import type { Logger } from './logger.ts';
import { createMetricsRegistry } from './metrics.ts';
import {
  need,
  openAccess,
  openBrokerAndBridge,
  openCluster,
  openGuards,
  openHttp,
  openKnownDevices,
  openListeners,
  openPresence,
  openSessions,
  openStore,
  openSysStats,
  type Close,
  type Wiring,
} from './start-steps.ts';
import { createTrafficMeter } from './transport/traffic.ts';

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

interface StartStep {
  name: string;
  /** opens the part; returns what undoes it, or null when there is nothing to undo */
  open(w: Wiring): Promise<Close | null>;
}

/** The start order; closing runs it backwards: listeners first, then http, the broker, the stores. */
export const startSteps: readonly StartStep[] = [
  { name: 'guards', open: openGuards },
  { name: 'auth', open: openAccess },
  { name: 'cluster', open: openCluster },
  // without Redis, sessions persist in their own SQLite file, closed after the broker
  { name: 'sessions', open: openSessions },
  { name: 'store', open: openStore },
  // the broker and the bridge it feeds: the broker closes first, then the bridge flushes the last points
  { name: 'broker and bridge', open: openBrokerAndBridge },
  { name: 'presence', open: openPresence },
  // before any listener opens: device ids known from before this start go to no other session
  { name: 'known devices', open: openKnownDevices },
  { name: 'sys', open: openSysStats },
  { name: 'http', open: openHttp },
  { name: 'listeners', open: openListeners },
  // closed first: the demo devices leave while the listeners are still open
  { name: 'demo fleet', open: async (w) => need(w, 'demoFleet').close },
];

export function createApp(config: Config, deps: AppDeps): App {
  const { log } = deps;
  const closers: Array<{ name: string; close: Close }> = [];
  let broker: MqttBroker | undefined;
  let closing = false;

  async function start(): Promise<BoundPorts> {
    const metrics = createMetricsRegistry();
    const w: Wiring = {
      config,
      deps,
      log,
      metrics,
      refusals: createRefusals(metrics, log.child({ module: 'refusals' })),
      stats: createBrokerStats(),
      traffic: createTrafficMeter(),
      isClosing: () => closing,
    };
    for (const step of startSteps) {
      const close = await step.open(w);
      if (close) closers.push({ name: step.name, close });
    }
    broker = need(w, 'broker');
    const ports = need(w, 'ports');
    log.info({ ports, brokerId: broker.id }, 'telemq started');
    return ports;
  }

  async function close(): Promise<void> {
    closing = true;
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
