// Messages the bridge cannot turn into points: counted by reason, logged at most once per topic per
// interval, and republished on $telemq/deadletter/<reason> for an admin to watch.
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import { topics } from '../contract/index.ts';
import type { Logger } from '../logger.ts';
import type { BridgeMetrics, DeadLetterReason } from './metrics.ts';

/** What a dead letter carries: the original topic, why, and the payload as sent. */
export interface DeadLetter {
  topic: string;
  reason: DeadLetterReason;
  detail: string;
  receivedAtMs: number;
  payloadBase64: string;
}

export interface DeadLetters {
  send(reason: DeadLetterReason, message: { topic: string; payload: Buffer; receivedAtMs: number }, detail: string): void;
}

const maxRemembered = 10_000;

export function createDeadLetters(deps: {
  broker: Pick<MqttBroker, 'publish'>;
  metrics: BridgeMetrics;
  log: Logger;
  logIntervalMs: number;
  /** republished dead letters per second at most; the rest are only counted (a flood is not doubled) */
  ratePerSec: number;
  now: () => number;
}): DeadLetters {
  const lastLogged = new Map<string, { atMs: number; suppressed: number }>();
  // Token bucket, one second deep.
  let tokens = deps.ratePerSec;
  let refilledAtMs = deps.now();
  function mayPublish(nowMs: number): boolean {
    tokens = Math.min(deps.ratePerSec, tokens + ((nowMs - refilledAtMs) / 1000) * deps.ratePerSec);
    refilledAtMs = nowMs;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
  return {
    send(reason, message, detail) {
      deps.metrics.deadLettered.inc({ reason });
      const key = `${reason}\u0000${message.topic}`;
      const seen = lastLogged.get(key);
      const nowMs = deps.now();
      if (!seen || nowMs - seen.atMs >= deps.logIntervalMs) {
        if (lastLogged.size >= maxRemembered) lastLogged.clear();
        deps.log.warn({ topic: message.topic, reason, detail, suppressed: seen?.suppressed ?? 0 }, 'telemetry not bridged');
        lastLogged.set(key, { atMs: nowMs, suppressed: 0 });
      } else {
        seen.suppressed++;
      }
      if (!mayPublish(nowMs)) {
        deps.metrics.deadLettersUnpublished.inc({ reason });
        return;
      }
      const letter: DeadLetter = { topic: message.topic, reason, detail, receivedAtMs: message.receivedAtMs, payloadBase64: message.payload.toString('base64') };
      deps.broker.publish({ topic: topics.deadLetter(reason), payload: Buffer.from(JSON.stringify(letter)), qos: 0, retain: false }).catch((err: unknown) => {
        deps.log.debug({ err: (err as Error).message, reason }, 'dead letter not published');
      });
    },
  };
}
