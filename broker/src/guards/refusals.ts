// One counter for every refusal (telemq_refusals_total{reason}) and a log line per client and
// reason, not per packet: a client flooding forbidden publishes costs one warning, not thousands.
// Created once (app.ts) and passed to auth and guards, so both share the log-once memory.
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger.ts';

/**
 * Every refusal reason, once, with its meaning: the `reason` label of telemq_refusals_total.
 * Kebab-case, like the drop reasons of telemq_messages_dropped_total (README, Observability).
 */
export const refusalReasons = {
  // authentication
  'no-credentials': 'CONNECT without a token or password, and no auth.anonymousRole (0x05)',
  'bad-password': 'a wrong user name or password (CONNACK 0x04, HTTP 401)',
  'bad-token': 'a JWT that does not verify: signature, expiry, claims (0x04)',
  'unknown-role': "a valid identity whose role is not configured, or whose subject is not topic-safe (0x05)",
  'client-id-mismatch': "a device whose client id is not its token's subject (0x05)",
  'client-id-taken': 'a non-device identity asking for a client id a device holds (0x05)',
  'failed-auth-rate': 'too many failed authentications from the address or for the user (0x05, HTTP 429)',
  'password-check-busy': 'every scrypt slot and queue place in use (0x03, HTTP 503)',
  'upgrade-bad-token': 'a WebSocket upgrade carrying an invalid token (HTTP 401)',
  // authorization
  'forbidden-publish': "a publish outside the client's ACL patterns",
  'forbidden-subscribe': "a subscription filter outside the client's ACL patterns (SUBACK 0x80)",
  'forbidden-forward': 'a delivery to a subscriber whose ACL no longer allows the topic (not logged)',
  // limits
  'packet-too-large': 'a packet over guards.maxPacketBytes, refused from its fixed header',
  'malformed-frame': 'a fixed header that is not MQTT (bad remaining length)',
  'publish-rate': 'a QoS 0 publish over guards.publishRatePerSec',
  'connections-per-ip': 'one connection more than guards.maxConnectionsPerIp',
  'connect-rate': 'connection attempts over guards.connectAttemptsPerIpPerMin',
  origin: 'a WebSocket upgrade from an Origin not in guards.allowedOrigins (HTTP 403)',
  'client-id-invalid': 'a client id with control characters or over guards.maxClientIdLength (0x02)',
  'topic-too-long': 'a topic or filter over guards.maxTopicLength bytes',
  'topic-too-deep': 'a topic or filter over guards.maxTopicLevels levels',
  'subscriptions-per-client': 'a filter past guards.maxSubscriptionsPerClient (SUBACK 0x80)',
  'retained-topics-per-client': 'a retained publish on a topic past guards.maxRetainedTopicsPerClient',
  // protocol violations: the connection is closed [MQTT-4.8.0-1]
  'malformed-utf8': 'a string that is not well-formed UTF-8 [MQTT-1.5.3-1]',
  'nul-character': 'a string containing U+0000 [MQTT-1.5.3-2]',
  'invalid-topic': 'a topic name with a wildcard [MQTT-4.7.3]',
  'invalid-filter': 'a filter with a misplaced wildcard [MQTT-4.7.1]',
  'protocol-violation': 'another packet the protocol forbids, e.g. an empty UNSUBSCRIBE [MQTT-3.10.3-2]',
} as const satisfies Record<string, string>;

export type RefusalReason = keyof typeof refusalReasons;

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
  const counter = new Counter({ name: metricName, help: 'Connections, packets and requests refused, by reason', labelNames: ['reason'], registers: [metrics] });
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
