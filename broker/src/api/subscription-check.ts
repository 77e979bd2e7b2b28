// GET /api/subscription-check?filter=…: why the caller's subscription to a filter is granted or
// refused. A SUBACK in MQTT 3.1.1 carries only 0x80 [MQTT-3.9.3-2], so the console asks here
// after a refusal and shows the cause. The checks are the broker's own, in its order: the filter
// grammar of contract/ [MQTT-4.7.1], the guards' length and depth bounds, then the ACL
// (auth/acl.ts: denySubscribe first, then the role's subscribe patterns). Nothing is subscribed.
import type { FastifyInstance } from 'fastify';
import type { AccessControl } from '../auth/index.ts';
import { topicFilterProblem, topicProblemText, type SubscriptionCheckResponse } from '../contract/index.ts';
import type { GuardsConfig } from '../guards/config.ts';
import { identityOf } from './auth-hook.ts';

export interface SubscriptionCheckDeps {
  access: Pick<AccessControl, 'acl'>;
  limits: Pick<GuardsConfig, 'maxTopicLength' | 'maxTopicLevels' | 'maxSubscriptionsPerClient'>;
}

/** the longest filter asked about: a check is one pass over it */
const maxQueryBytes = 65_535;

export function registerSubscriptionCheckRoute(app: FastifyInstance, deps: SubscriptionCheckDeps): void {
  const { limits } = deps;
  app.get<{ Querystring: { filter?: unknown } }>('/api/subscription-check', { config: { auth: 'user' } }, async (req, reply) => {
    const filter = req.query.filter;
    if (typeof filter !== 'string' || Buffer.byteLength(filter) > maxQueryBytes) {
      return reply.code(400).send({ error: 'invalid_request', message: 'filter: one topic filter is required' });
    }
    const identity = identityOf(req);
    const answer = (verdict: SubscriptionCheckResponse['verdict'], message: string, patterns: string[] = []): SubscriptionCheckResponse => ({ filter, verdict, message, patterns });

    const problem = topicFilterProblem(filter);
    if (problem) return answer('invalid_filter', `not a valid topic filter: ${topicProblemText[problem]}`);
    if (Buffer.byteLength(filter) > limits.maxTopicLength) return answer('too_long', `the filter is longer than this broker's ${limits.maxTopicLength} bytes (guards.maxTopicLength)`);
    if (filter.split('/').length > limits.maxTopicLevels) return answer('too_deep', `the filter has more than this broker's ${limits.maxTopicLevels} levels (guards.maxTopicLevels)`);

    const acl = deps.access.acl;
    const verdict = acl.explainSubscribe?.(identity, filter);
    const role = `the role ${identity.role}`;
    if (!verdict) {
      return acl.canSubscribe(identity, filter) ? answer('allowed', `${role} may subscribe to it`) : answer('not_allowed', `${role} may not subscribe to it`);
    }
    if (verdict.allowed) {
      const limit = limits.maxSubscriptionsPerClient > 0 ? `; a refusal then means the connection already has ${limits.maxSubscriptionsPerClient} subscriptions (guards.maxSubscriptionsPerClient)` : '';
      return answer('allowed', `${role} may subscribe to it (${verdict.patterns[0]})${limit}`, verdict.patterns);
    }
    switch (verdict.reason) {
      case 'unknown-role':
        return answer('unknown_role', `${role} has no topic patterns on this broker`);
      case 'denied':
        return answer('denied', `${role} is denied filters inside ${verdict.patterns[0]} (denySubscribe)`, verdict.patterns);
      case 'not-allowed': {
        const allowed = verdict.patterns.length > 0 ? `only to filters inside ${verdict.patterns.join(', ')}` : 'to no filters';
        return answer('not_allowed', `${role} may subscribe ${allowed}`, verdict.patterns);
      }
    }
  });
}
