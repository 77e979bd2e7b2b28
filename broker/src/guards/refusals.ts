// One counter for every refusal (telemq_refusals_total{reason}) and a log line per client and
// reason, not per packet: a client flooding forbidden publishes costs one warning, not thousands.
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger.ts';

export type RefusalReason =
  // authentication
  | 'no_credentials'
  | 'bad_password'
  | 'bad_token'
  | 'unknown_role'
  | 'client_id_mismatch'
  | 'client_id_taken'
  | 'failed_auth_rate'
  | 'password_check_busy'
  | 'upgrade_bad_token'
  // authorization
  | 'forbidden_publish'
  | 'forbidden_subscribe'
  | 'forbidden_forward'
  // limits
  | 'packet_too_large'
  | 'malformed_frame'
  // protocol violations: the connection is closed [MQTT-4.8.0-1]
  | 'malformed_utf8'
  | 'nul_character'
  | 'invalid_topic'
  | 'invalid_filter'
  | 'protocol_violation'
  | 'publish_rate'
  | 'connections_per_ip'
  | 'connect_rate'
  | 'origin'
  | 'client_id_invalid'
  | 'topic_too_long'
  | 'topic_too_deep'
  | 'subscriptions_per_client'
  | 'retained_topics_per_client';

export interface Refusals {
  /**
   * Counts one refusal. `client` is what identifies the client for logging once (its connection
   * context, or a string such as an IP); null counts without logging (per-delivery refusals).
   */
  refuse(reason: RefusalReason, client: object | string | null, details?: Record<string, unknown>): void;
}

const metricName = 'telemq_refusals_total';
const maxLoggedKeys = 10_000;

export function createRefusals(metrics: Registry, log: Logger): Refusals {
  const counter =
    (metrics.getSingleMetric(metricName) as Counter<'reason'> | undefined) ??
    new Counter({ name: metricName, help: 'Connections, packets and requests refused, by reason', labelNames: ['reason'], registers: [metrics] });
  const loggedByObject = new WeakMap<object, Set<RefusalReason>>();
  const loggedByKey = new Set<string>();

  function firstTime(reason: RefusalReason, client: object | string): boolean {
    if (typeof client === 'string') {
      const key = `${reason}\u0000${client}`;
      if (loggedByKey.has(key)) return false;
      if (loggedByKey.size >= maxLoggedKeys) loggedByKey.clear();
      loggedByKey.add(key);
      return true;
    }
    let reasons = loggedByObject.get(client);
    if (!reasons) loggedByObject.set(client, (reasons = new Set()));
    if (reasons.has(reason)) return false;
    reasons.add(reason);
    return true;
  }

  return {
    refuse(reason, client, details = {}) {
      counter.inc({ reason });
      if (client !== null && firstTime(reason, client)) log.warn({ reason, ...details }, 'refused (logged once per client and reason)');
    },
  };
}
