// The console's bridge preview is a browser port of the bridge's mapping; this runs both on one
// table of messages and rules, so the preview shows exactly what the bridge would do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeRule } from '../../broker/src/api/bridge-rules.ts';
import { bridgeConfigSchema } from '../../broker/src/bridge/config.ts';
import { compileRules } from '../../broker/src/bridge/mapping.ts';
import { previewBridge, type PreviewRule } from '../../console/src/lib/bridge-preview.ts';

const rules: PreviewRule[] = [
  // the broker's default rules, as GET /api/bridge-rules serves them
  ...bridgeConfigSchema.parse({}).rules.map(describeRule),
  { name: 'plant', topic: 'plant/+/+', measurement: '{2}', tags: { site: 1 }, codec: { type: 'number', field: 'value' } },
  { name: 'door', topic: 'door/+', measurement: 'door', tags: { door: 1 }, codec: { type: 'boolean', field: 'open' } },
  { name: 'nested', topic: 'nested/#', measurement: 'n', tags: {}, codec: { type: 'json', separator: '.', timestampField: 'time' } },
];

const messages: Array<[topic: string, payload: string]> = [
  ['devices/d1/telemetry', '{"temp":21.5,"hum":40}'],
  ['devices/d1/telemetry', '{"temp":1,"ts":1600000000000}'],
  ['devices/d1/telemetry', '{"temp":1,"ts":"2020-09-13T12:26:40Z"}'],
  ['devices/d1/telemetry', '{"temp":1,"ts":-5}'],
  ['devices/d1/telemetry', '{"temp":1,"ts":null}'],
  ['devices/d1/telemetry', '{"gps":{"lat":1.5,"lon":2},"name":"x","on":true,"list":[1],"n":null}'],
  ['devices/d1/telemetry', 'not json'],
  ['devices/d1/telemetry', '[1,2]'],
  ['devices/d1/telemetry', '"text"'],
  ['devices/d1/telemetry', '{}'],
  ['devices/d1/telemetry', '{"ts":5}'],
  ['devices/d1/telemetry', '{"a\\u0001":1}'],
  ['devices//telemetry', '{"a":1}'],
  ['devices/d1/status', 'online'],
  ['$SYS/b/clients/connected', '3'],
  ['plant/north/pressure', ' 3.5 '],
  ['plant/north/pressure', '1e3'],
  ['plant/north/pressure', 'high'],
  ['plant/north/pressure', ''],
  ['door/front', 'true'],
  ['door/front', 'open'],
  ['nested/a/b', '{"x":{"y":1},"time":"2024-01-01T00:00:00.000Z"}'],
];

test('the console preview and the bridge mapping agree on every message', () => {
  const mapper = compileRules(rules.map((r) => ({ ...r, codec: r.codec })) as Parameters<typeof compileRules>[0]);
  const receivedAtMs = 1_700_000_000_000;
  for (const [topic, payload] of messages) {
    const bridge = mapper.mapTelemetry(topic, Buffer.from(payload), receivedAtMs);
    const preview = previewBridge(topic, new TextEncoder().encode(payload), receivedAtMs, rules);
    const expected = bridge.ok ? { ok: true, rule: bridge.rule, ...(JSON.parse(JSON.stringify(bridge.point)) as object) } : { ok: false, reason: bridge.reason, detail: bridge.detail };
    const actual = preview.ok ? preview : { ok: false, reason: preview.reason, detail: preview.detail };
    assert.deepEqual(actual, expected, `${topic} ${payload}`);
  }
});
