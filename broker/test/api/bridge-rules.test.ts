// GET /api/bridge-rules serves the rules this broker runs (for the console's preview), to any
// authenticated caller; a protobuf rule is named by its message type, its .proto path kept back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import { describeRule } from '../../src/api/bridge-rules.ts';
import { bridgeRuleSchema } from '../../src/bridge/config.ts';
import type { BridgeRulesResponse } from '../../src/contract/index.ts';
import { securedConfig, signToken } from '../auth/helpers.ts';

test('describeRule: a protobuf rule without its file path', () => {
  const rule = bridgeRuleSchema.parse({ name: 'pb', topic: 'pb/+', codec: { type: 'protobuf', protoFile: '/etc/secret/x.proto', messageType: 'x.Reading' } });
  assert.deepEqual(describeRule(rule), { name: 'pb', topic: 'pb/+', measurement: 'telemetry', tags: {}, codec: { type: 'protobuf', messageType: 'x.Reading' } });
});

test('GET /api/bridge-rules: the configured rules and ignored topics, to authenticated callers only', async (t) => {
  const rules: Array<{ name: string; topic: string; measurement?: string; tags: Record<string, number>; codec?: { type: 'number'; field: string } }> = [
    { name: 'plant', topic: 'plant/+/+', measurement: '{2}', tags: { site: 1 }, codec: { type: 'number', field: 'value' } },
    { name: 'telemetry', topic: 'devices/+/telemetry', tags: { device_id: 1 } },
  ];
  const server = await startTestApp(securedConfig({ bridge: { rules, ignoreTopics: ['noise/#'] } }));
  t.after(() => server.close());
  const get = (token?: string) => fetch(`${server.httpUrl}/api/bridge-rules`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  assert.equal((await get()).status, 401);
  const res = await get(await signToken({ sub: 'alice', role: 'console' }));
  assert.equal(res.status, 200);
  assert.deepEqual((await res.json()) as BridgeRulesResponse, {
    enabled: true,
    rules: [
      { name: 'plant', topic: 'plant/+/+', measurement: '{2}', tags: { site: 1 }, codec: { type: 'number', field: 'value' } },
      { name: 'telemetry', topic: 'devices/+/telemetry', measurement: 'telemetry', tags: { device_id: 1 }, codec: { type: 'json', separator: '_', timestampField: 'ts' } },
    ],
    ignoreTopics: ['noise/#'],
  });
});
