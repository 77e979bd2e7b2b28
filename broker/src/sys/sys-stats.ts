// Broker statistics for the console, published every sysIntervalMs under $SYS/<brokerId>/...,
// retained so a new subscriber sees the latest values at once. Each payload is a decimal number.
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import type { BrokerStats } from '../broker/stats.ts';
import { topics } from '../contract/index.ts';
import type { Logger } from '../logger.ts';
import type { TrafficMeter } from '../transport/traffic.ts';

/** Paths under $SYS/<brokerId>/, each a decimal number. */
export const sysPaths = [
  'clients/connected',
  'messages/received',
  'messages/sent',
  'messages/dropped',
  'messages/received/per-second',
  'messages/sent/per-second',
  'messages/dropped/per-second',
  'bytes/received',
  'bytes/sent',
  'bytes/received/per-second',
  'bytes/sent/per-second',
  'uptime-seconds',
] as const;

export type SysPath = (typeof sysPaths)[number];

export interface SysStatsDeps {
  broker: MqttBroker;
  stats: BrokerStats;
  traffic: TrafficMeter;
  intervalMs: number;
  log: Logger;
  now?: () => number;
}

export interface SysStats {
  close(): Promise<void>;
}

interface Totals {
  atMs: number;
  received: number;
  sent: number;
  dropped: number;
  bytesReceived: number;
  bytesSent: number;
}

export function startSysStats(deps: SysStatsDeps): SysStats {
  const now = deps.now ?? Date.now;
  const startedAtMs = now();
  let previous = readTotals();
  let publishing: Promise<unknown> = Promise.resolve();

  function readTotals(): Totals {
    const wire = Object.values(deps.traffic.totals());
    return {
      atMs: now(),
      received: deps.stats.messagesReceived,
      sent: deps.stats.messagesSent,
      dropped: Object.values(deps.stats.drops).reduce((a, b) => a + b, 0),
      bytesReceived: wire.reduce((a, t) => a + t.bytesReceived, 0),
      bytesSent: wire.reduce((a, t) => a + t.bytesSent, 0),
    };
  }

  function snapshot(): Record<SysPath, number> {
    const current = readTotals();
    const seconds = Math.max((current.atMs - previous.atMs) / 1000, 0.001);
    const rate = (key: Exclude<keyof Totals, 'atMs'>) => Math.round((current[key] - previous[key]) / seconds);
    const values: Record<SysPath, number> = {
      'clients/connected': deps.broker.connectedClients(),
      'messages/received': current.received,
      'messages/sent': current.sent,
      'messages/dropped': current.dropped,
      'messages/received/per-second': rate('received'),
      'messages/sent/per-second': rate('sent'),
      'messages/dropped/per-second': rate('dropped'),
      'bytes/received': current.bytesReceived,
      'bytes/sent': current.bytesSent,
      'bytes/received/per-second': rate('bytesReceived'),
      'bytes/sent/per-second': rate('bytesSent'),
      'uptime-seconds': Math.floor((current.atMs - startedAtMs) / 1000),
    };
    previous = current;
    return values;
  }

  const timer = setInterval(() => {
    const values = snapshot();
    publishing = Promise.all(
      sysPaths.map((path) =>
        deps.broker.publish({ topic: topics.sys(deps.broker.id, path), payload: Buffer.from(String(values[path])), qos: 0, retain: true }),
      ),
    ).catch((err: unknown) => deps.log.warn({ err }, '$SYS publish failed'));
  }, deps.intervalMs);
  timer.unref();

  return {
    async close() {
      clearInterval(timer);
      await publishing;
    },
  };
}
