// Limits around the broker: wraps the access-control hooks (client id, topic shape, publish rate),
// the WebSocket upgrade check (Origin), and provides the connection gate, the failed-auth limiter
// and the packet-size guard. Every refusal is counted by reason and logged once per client.
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, type Registry } from 'prom-client';
import type { AuthFailureLimiter } from '../auth/index.ts';
import type { BoundRefusal } from '../broker/client-bounds.ts';
import { ConnackCode, type BrokerHooks, type ClientRef, type ConnectionContext, type ProtocolViolation } from '../broker/types.ts';
import type { ConnectionGate } from '../transport/gate.ts';
import type { VerifyUpgrade } from '../transport/websocket.ts';
import type { GuardsConfig } from './config.ts';
import { createFrameLimit } from './frame-limit.ts';
import { createAuthFailureLimiter, createLimitingGate } from './per-ip.ts';
import type { RefusalReason, Refusals } from './refusals.ts';
import { createTokenBucket, type TokenBucket } from './token-bucket.ts';

export interface Guards {
  gate: ConnectionGate;
  authLimiter: AuthFailureLimiter;
  wrapHooks(inner: BrokerHooks): BrokerHooks;
  wrapVerifyUpgrade(inner: VerifyUpgrade): VerifyUpgrade;
  /** packet-size limit on one connection's inbound bytes */
  guardConnection(stream: Duplex, context: ConnectionContext): void;
  /** counts a connection the broker closed for a protocol violation */
  protocolViolation(context: ConnectionContext, violation: ProtocolViolation): void;
  /** counts a refusal made by the broker's per-client bounds, logged once per client and reason */
  refuseBound(reason: BoundRefusal, client: ClientRef): void;
  close(): Promise<void>;
}

export interface GuardsDeps {
  config: GuardsConfig;
  metrics: Registry;
  /** the one refusal counter, shared with auth */
  refusals: Refusals;
}

/**
 * Client ids: any UTF-8 string without control characters (U+0001–U+001F, U+007F–U+009F), up to
 * `maxLength` characters (code points). MQTT lets a server refuse more [MQTT-3.1.3-5], but real
 * tools use ids like `clean retained`. Ids that land in topics are devices', whose id must equal
 * their token's `sub`, which the ACL keeps topic-safe. U+0000 and malformed UTF-8 close the
 * connection before this runs [MQTT-1.5.3-1, MQTT-1.5.3-2].
 */
export function isAcceptableClientId(id: string, maxLength: number): boolean {
  if (id.length > maxLength * 2) return false; // at most two UTF-16 units per character
  let characters = 0;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    if (c < 0xdc00 || c > 0xdfff) characters++; // a low surrogate ends a character already counted
  }
  return characters <= maxLength;
}

export function createGuards(deps: GuardsDeps): Guards {
  const { config } = deps;
  const { refusals } = deps;
  const delayed = new Counter({ name: 'telemq_publishes_delayed_total', help: 'QoS 1/2 publishes over the rate limit, slowed by not reading', registers: [deps.metrics] });
  const buckets = new WeakMap<ConnectionContext, TokenBucket>();
  /** per client, the last delayed publish: later ones wait for it, so delays never reorder a client's messages [MQTT-4.6.0-2] */
  const delayedTails = new WeakMap<ConnectionContext, Promise<void>>();

  /** waits waitMs, and after every earlier delayed publish of the same client */
  function delayInOrder(context: ConnectionContext, waitMs: number): Promise<void> | null {
    const previous = delayedTails.get(context);
    if (waitMs <= 0 && !previous) return null;
    const releaseAtMs = Date.now() + waitMs;
    const tail = (previous ?? Promise.resolve()).then(() => sleep(Math.max(0, releaseAtMs - Date.now())));
    delayedTails.set(context, tail);
    void tail.then(() => {
      if (delayedTails.get(context) === tail) delayedTails.delete(context);
    });
    return tail;
  }

  function topicRefusal(topic: string): RefusalReason | null {
    if (Buffer.byteLength(topic) > config.maxTopicLength) return 'topic-too-long';
    let levels = 1;
    for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) levels++;
    return levels > config.maxTopicLevels ? 'topic-too-deep' : null;
  }

  function bucketOf(context: ConnectionContext): TokenBucket {
    let bucket = buckets.get(context);
    if (!bucket) buckets.set(context, (bucket = createTokenBucket(config.publishRatePerSec, config.publishBurst, Date.now())));
    return bucket;
  }

  const refuse = (reason: RefusalReason, client: ClientRef, details: Record<string, unknown> = {}) =>
    refusals.refuse(reason, client.context, { clientId: client.id, remoteAddress: client.context.remoteAddress, ...details });

  return {
    gate: createLimitingGate(config, refusals),
    authLimiter: createAuthFailureLimiter(config),
    wrapHooks(inner) {
      return {
        async authenticate(client, username, password) {
          if (!isAcceptableClientId(client.id, config.maxClientIdLength)) {
            refuse('client-id-invalid', client, { length: client.id.length });
            return { ok: false, returnCode: ConnackCode.identifierRejected, reason: 'client-id-invalid' };
          }
          return inner.authenticate(client, username, password);
        },
        async authorizePublish(client, message) {
          const topicProblem = topicRefusal(message.topic);
          if (topicProblem) {
            refuse(topicProblem, client, { topicBytes: Buffer.byteLength(message.topic) });
            return 'deny';
          }
          if (config.publishRatePerSec > 0) {
            const bucket = bucketOf(client.context);
            if (message.qos === 0) {
              if (!bucket.tryTake(Date.now())) {
                refuse('publish-rate', client, { ratePerSec: config.publishRatePerSec });
                return 'deny';
              }
            } else {
              // QoS 1/2 is never dropped: the reply waits, and aedes reads nothing more from this
              // client until it comes, so TCP back-pressure slows the sender down.
              const waitMs = bucket.takeOrWait(Date.now());
              if (waitMs > 0) delayed.inc();
              const turn = delayInOrder(client.context, waitMs);
              if (turn) await turn;
            }
          }
          return inner.authorizePublish(client, message);
        },
        async authorizeSubscribe(client, filter) {
          const topicProblem = topicRefusal(filter);
          if (topicProblem) {
            refuse(topicProblem, client, { topicBytes: Buffer.byteLength(filter) });
            return false;
          }
          return inner.authorizeSubscribe(client, filter);
        },
        authorizeForward: inner.authorizeForward,
      };
    },
    wrapVerifyUpgrade(inner) {
      const allowed = new Set(config.allowedOrigins);
      return async (req) => {
        const origin = req.headers.origin;
        // Browsers always send Origin; devices and servers usually do not, and are not at risk of CSRF-like use.
        if (allowed.size > 0 && origin !== undefined && !allowed.has(origin)) {
          const remoteAddress = req.socket.remoteAddress ?? 'unknown';
          refusals.refuse('origin', `${remoteAddress} ${origin}`, { remoteAddress, origin });
          return { ok: false, status: 403, reason: 'origin not allowed' };
        }
        return inner(req);
      };
    },
    guardConnection(stream, context) {
      const feed = createFrameLimit(config.maxPacketBytes);
      const onData = (chunk: Buffer) => {
        const check = feed(chunk);
        if (check === 'ok') return;
        stream.off('data', onData);
        refusals.refuse(check === 'too_large' ? 'packet-too-large' : 'malformed-frame', context, { remoteAddress: context.remoteAddress, maxPacketBytes: config.maxPacketBytes });
        stream.destroy();
      };
      // aedes reads with read() on 'readable'; a 'data' listener then sees each chunk as it is read,
      // before the parser, without switching the stream to flowing mode.
      stream.on('data', onData);
    },
    protocolViolation(context, violation) {
      refusals.refuse(violation.reason, context, { remoteAddress: context.remoteAddress, clause: violation.clause });
    },
    refuseBound: (reason, client) => refuse(reason, client),
    close: async () => {},
  };
}
