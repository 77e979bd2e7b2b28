import { Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app, so tests can run several apps in one process. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app: 'telemq' });
  collectDefaultMetrics({ register: registry, prefix: 'telemq_', eventLoopMonitoringPrecision: 20 });
  return registry;
}
