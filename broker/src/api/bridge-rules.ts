// GET /api/bridge-rules: the bridge's configured rules and ignored topics, as the broker runs them,
// so the console's preview shows what this broker would store rather than a copy of the defaults.
// A protobuf rule is named with its message type; its .proto path stays on the server. Any
// authenticated caller may read it (as /api/console-settings).
import type { FastifyInstance } from 'fastify';
import type { BridgeConfig, BridgeRule } from '../bridge/config.ts';
import type { BridgeRuleInfo, BridgeRulesResponse } from '../contract/index.ts';

export interface BridgeRulesDeps {
  config: Pick<BridgeConfig, 'enabled' | 'rules' | 'ignoreTopics'>;
}

export function describeRule(rule: BridgeRule): BridgeRuleInfo {
  const { name, topic, measurement, tags, codec } = rule;
  return { name, topic, measurement, tags, codec: codec.type === 'protobuf' ? { type: 'protobuf', messageType: codec.messageType } : codec };
}

export function registerBridgeRulesRoute(app: FastifyInstance, deps: BridgeRulesDeps): void {
  // The configuration is frozen at start: the answer is built once.
  const body: BridgeRulesResponse = { enabled: deps.config.enabled, rules: deps.config.rules.map(describeRule), ignoreTopics: [...deps.config.ignoreTopics] };
  app.get('/api/bridge-rules', { config: { auth: 'user' } }, () => body);
}
