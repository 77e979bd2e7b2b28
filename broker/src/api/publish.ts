// POST /api/publish: an HTTP client publishes like an MQTT client would, under the same rules:
// the caller's ACL (canPublish), the per-client publish rate and the packet and topic size
// limits of guards. What passes is published through the broker's in-process publish, so MQTT,
// SSE and long-polling subscribers get it as any other message. Expected refusals are answers
// (400, 403, 413, 429), counted by result in telemq_http_publishes_total. `dryRun` answers whether
// a publish would pass, so the console can show a refusal before publishing over MQTT.
import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import type { AccessControl } from '../auth/index.ts';
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import { topicNameProblem, topicProblemText, type ApiError, type PublishResponse } from '../contract/index.ts';
import type { GuardsConfig } from '../guards/config.ts';
import { createTokenBucket, type TokenBucket } from '../guards/token-bucket.ts';
import { identityOf } from './auth-hook.ts';

export interface PublishRouteDeps {
  broker: Pick<MqttBroker, 'publish'>;
  access: Pick<AccessControl, 'acl'>;
  limits: Pick<GuardsConfig, 'maxPacketBytes' | 'publishRatePerSec' | 'publishBurst' | 'maxTopicLength' | 'maxTopicLevels'>;
  metrics: Registry;
  now?: () => number;
}

export type PublishResult = 'published' | 'checked' | 'unauthorized' | 'invalid_request' | 'invalid_topic' | 'forbidden' | 'too_large' | 'rate_limited' | 'failed';

const publishRequest = z
  .object({
    topic: z.string({ error: 'topic is required' }),
    payload: z.string({ error: 'payload is required (text, or base64 with "encoding": "base64")' }),
    encoding: z.enum(['utf8', 'base64']).default('utf8'),
    qos: z.union([z.literal(0), z.literal(1)]).default(0),
    retain: z.boolean().default(false),
    /** every check, without publishing or spending the rate: what an MQTT client cannot be told
     * (a forbidden QoS 0/1 PUBLISH in MQTT 3.1.1 has no refusal to answer with) */
    dryRun: z.boolean().default(false),
  })
  .strict();

/** callers whose rate is followed at once */
const maxCallers = 10_000;
const base64Text = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Why `topic` cannot be published to, or null: the topic grammar of contract/ (no wildcards, not
 * empty, no U+0000 [MQTT-4.7.3]) and the guards' length and depth bounds (broker/src/guards/index.ts).
 */
export function publishTopicProblem(topic: string, limits: Pick<GuardsConfig, 'maxTopicLength' | 'maxTopicLevels'>): string | null {
  const problem = topicNameProblem(topic);
  if (problem) return topicProblemText[problem];
  if (Buffer.byteLength(topic) > limits.maxTopicLength) return `the topic is longer than ${limits.maxTopicLength} bytes`;
  if (topic.split('/').length > limits.maxTopicLevels) return `the topic has more than ${limits.maxTopicLevels} levels`;
  return null;
}

export function registerPublishRoute(app: FastifyInstance, deps: PublishRouteDeps): void {
  const now = deps.now ?? Date.now;
  const { limits } = deps;
  const results = new Counter({ name: 'telemq_http_publishes_total', help: 'POST /api/publish requests by result', labelNames: ['result'], registers: [deps.metrics] });
  /** one bucket per caller (token subject), as MQTT has one per connection */
  const buckets = new Map<string, TokenBucket>();
  const answer = (result: PublishResult, error: ApiError) => {
    results.inc({ result });
    return error;
  };

  // base64 grows a payload by 4/3; the JSON around it is small.
  const bodyLimit = Math.ceil((limits.maxPacketBytes * 4) / 3) + 4096;
  // the auth hook answers 401 before the handler runs; counted here with the other results
  const onResponse = async (_req: unknown, reply: { statusCode: number }) => {
    if (reply.statusCode === 401) results.inc({ result: 'unauthorized' });
  };
  app.post('/api/publish', { bodyLimit, config: { auth: 'user' }, onResponse }, async (req, reply) => {
    const identity = identityOf(req);
    const parsed = publishRequest.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return reply.code(400).send(answer('invalid_request', { error: 'invalid_request', message: `${where}${issue.message}` }));
    }
    const { topic, encoding, qos, retain } = parsed.data;
    const problem = publishTopicProblem(topic, limits);
    if (problem) return reply.code(400).send(answer('invalid_topic', { error: 'invalid_topic', message: problem }));
    if (encoding === 'base64' && !base64Text.test(parsed.data.payload)) {
      return reply.code(400).send(answer('invalid_request', { error: 'invalid_request', message: 'payload is not base64' }));
    }
    const payload = Buffer.from(parsed.data.payload, encoding);
    // The same bound as an MQTT PUBLISH: topic and payload inside maxPacketBytes.
    if (payload.byteLength + Buffer.byteLength(topic) > limits.maxPacketBytes) {
      return reply.code(413).send(answer('too_large', { error: 'too_large', message: `topic and payload exceed ${limits.maxPacketBytes} bytes` }));
    }
    if (!deps.access.acl.canPublish(identity, topic)) {
      return reply.code(403).send(answer('forbidden', { error: 'forbidden', message: `${identity.subject} may not publish to ${topic}` }));
    }
    if (parsed.data.dryRun) {
      results.inc({ result: 'checked' });
      const checked: PublishResponse = { topic, bytes: payload.byteLength, qos, retain, dryRun: true };
      return checked;
    }
    if (limits.publishRatePerSec > 0) {
      let bucket = buckets.get(identity.subject);
      // Bounded: past maxCallers the buckets start again full (a burst each, not a bypass of the rate).
      if (!bucket && buckets.size >= maxCallers) buckets.clear();
      if (!bucket) buckets.set(identity.subject, (bucket = createTokenBucket(limits.publishRatePerSec, limits.publishBurst, now())));
      if (!bucket.tryTake(now())) {
        void reply.header('retry-after', '1');
        return reply.code(429).send(answer('rate_limited', { error: 'rate_limited', message: `more than ${limits.publishRatePerSec} publishes per second` }));
      }
    }
    try {
      await deps.broker.publish({ topic, payload, qos, retain });
    } catch (err) {
      req.log.warn({ err: (err as Error).message, topic }, 'HTTP publish failed');
      return reply.code(503).send(answer('failed', { error: 'publish_failed', message: 'the broker did not take the message' }));
    }
    results.inc({ result: 'published' });
    const body: PublishResponse = { topic, bytes: payload.byteLength, qos, retain };
    return body;
  });
}
