import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { BrokerStats } from './broker/stats.ts';
import type { TransportKind } from './broker/types.ts';
import type { TrafficMeter } from './transport/traffic.ts';

/** One registry per app, so tests can run several apps in one process. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app: 'telemq' });
  // includes telemq_nodejs_eventloop_lag_seconds (and its percentiles)
  collectDefaultMetrics({ register: registry, prefix: 'telemq_', eventLoopMonitoringPrecision: 20 });
  return registry;
}

export interface BrokerMetricsSources {
  stats: BrokerStats;
  traffic: TrafficMeter;
  openConnections(): Record<TransportKind, number>;
  connectedClients(): number;
}

/**
 * Broker metrics, read from plain counters at scrape time (prom-client `collect`), so the routing
 * path never calls into prom-client.
 */
export function registerBrokerMetrics(registry: Registry, sources: BrokerMetricsSources): void {
  const { stats, traffic } = sources;
  new Gauge({
    name: 'telemq_connections',
    help: 'Open connections by transport',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      for (const [transport, count] of Object.entries(sources.openConnections())) this.set({ transport }, count);
    },
  });
  new Gauge({
    name: 'telemq_clients_connected',
    help: 'MQTT clients past CONNACK',
    registers: [registry],
    collect() {
      this.set(sources.connectedClients());
    },
  });
  counterFrom(registry, 'telemq_messages_received_total', 'PUBLISH packets accepted from clients', () => stats.messagesReceived);
  counterFrom(registry, 'telemq_messages_sent_total', 'PUBLISH packets written to subscribers', () => stats.messagesSent);
  counterFrom(registry, 'telemq_payload_bytes_received_total', 'Payload bytes of accepted PUBLISH packets', () => stats.payloadBytesReceived);
  counterFrom(registry, 'telemq_payload_bytes_sent_total', 'Payload bytes of PUBLISH packets written to subscribers', () => stats.payloadBytesSent);
  counterFrom(registry, 'telemq_sessions_expired_total', 'Persistent sessions deleted with their queue after guards.sessionExpirySec', () => stats.sessionsExpired);
  counterFrom(registry, 'telemq_publishes_held_total', "Routed messages whose publisher was slowed because a subscriber's QoS >= 1 queue was full", () => stats.publishesHeld);
  new Gauge({
    name: 'telemq_qos1_queued_messages',
    help: 'QoS >= 1 messages waiting behind subscribers\' send windows',
    registers: [registry],
    collect() {
      this.set(stats.qos1Queued);
    },
  });
  new Counter({
    name: 'telemq_messages_dropped_total',
    help: 'Messages not delivered, and clients cut off, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(stats.drops)) this.inc({ reason }, count);
    },
  });
  for (const [direction, key] of [['received', 'bytesReceived'], ['sent', 'bytesSent']] as const) {
    new Counter({
      name: `telemq_bytes_${direction}_total`,
      help: `Bytes ${direction} on the wire (TLS and WebSocket framing included), by transport`,
      labelNames: ['transport'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [transport, totals] of Object.entries(traffic.totals())) this.inc({ transport }, totals[key]);
      },
    });
  }
}

function counterFrom(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
