import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { bridgeConfigSchema, type BridgeRule } from '../../src/bridge/config.ts';
import { compileRules, type MapResult } from '../../src/bridge/mapping.ts';
import type { Point } from '../../src/points/point.ts';

const protoFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/reading.proto');
const T = 1_700_000_000_000;

function rules(input: unknown[]): BridgeRule[] {
  return bridgeConfigSchema.parse({ rules: input }).rules;
}

/** A point as the stores see it (a JsonPoint builds its fields on demand). */
const plain = (point: Point) => JSON.parse(JSON.stringify(point)) as Point;

const defaultRules = bridgeConfigSchema.parse({}).rules;
const mixed = rules([
  { name: 'numbers', topic: 'plant/+/+/value', measurement: '{2}', tags: { site: 1 }, codec: { type: 'number' } },
  { name: 'doors', topic: 'plant/+/door', measurement: 'door', tags: { site: 1 }, codec: { type: 'boolean', field: 'open' } },
  { name: 'proto', topic: 'pb/+/reading', measurement: 'reading', tags: { device_id: 1 }, codec: { type: 'protobuf', protoFile, messageType: 'telemq.test.Reading' } },
  { name: 'deep', topic: 'deep/#', measurement: 'deep', tags: { a: 1, b: 2 }, codec: { type: 'json', separator: '.' } },
]);

const cases: Array<{ name: string; rules?: BridgeRule[]; topic: string; payload: string | Buffer; expect: Partial<MapResult> & Record<string, unknown> }> = [
  {
    name: 'default rule: JSON numbers, booleans and strings, arrival time',
    topic: 'devices/d1/telemetry',
    payload: '{"temp":21.5,"on":true,"mode":"eco","list":[1,2],"none":null}',
    expect: { ok: true, rule: 'telemetry', point: { measurement: 'telemetry', tags: { device_id: 'd1' }, fields: { temp: 21.5, on: true, mode: 'eco' }, timestampMs: T } },
  },
  {
    name: 'ts in epoch ms is the timestamp and not a field',
    topic: 'devices/d1/telemetry',
    payload: '{"temp":1,"ts":1600000000123}',
    expect: { ok: true, rule: 'telemetry', point: { measurement: 'telemetry', tags: { device_id: 'd1' }, fields: { temp: 1 }, timestampMs: 1600000000123 } },
  },
  {
    name: 'ts in ISO 8601',
    topic: 'devices/d1/telemetry',
    payload: '{"temp":1,"ts":"2020-09-13T12:26:40.123Z"}',
    expect: { ok: true, rule: 'telemetry', point: { measurement: 'telemetry', tags: { device_id: 'd1' }, fields: { temp: 1 }, timestampMs: 1600000000123 } },
  },
  {
    name: 'nested objects are flattened with the separator',
    topic: 'devices/d1/telemetry',
    payload: '{"env":{"temp":20,"air":{"co2":400}},"x":1}',
    expect: { ok: true, rule: 'telemetry', point: { measurement: 'telemetry', tags: { device_id: 'd1' }, fields: { env_temp: 20, env_air_co2: 400, x: 1 }, timestampMs: T } },
  },
  {
    name: 'custom separator and # filter with tags from deeper levels',
    rules: mixed,
    topic: 'deep/north/x7/more',
    payload: '{"a":{"b":2}}',
    expect: { ok: true, rule: 'deep', point: { measurement: 'deep', tags: { a: 'north', b: 'x7' }, fields: { 'a.b': 2 }, timestampMs: T } },
  },
  {
    name: 'bare number, measurement from a topic level',
    rules: mixed,
    topic: 'plant/lyon/pressure/value',
    payload: ' -1.5e3 ',
    expect: { ok: true, rule: 'numbers', point: { measurement: 'pressure', tags: { site: 'lyon' }, fields: { value: -1500 }, timestampMs: T } },
  },
  {
    name: 'bare boolean',
    rules: mixed,
    topic: 'plant/lyon/door',
    payload: 'true',
    expect: { ok: true, rule: 'doors', point: { measurement: 'door', tags: { site: 'lyon' }, fields: { open: true }, timestampMs: T } },
  },
  { name: 'no rule matches', topic: 'devices/d1/status', payload: 'online', expect: { ok: false, reason: 'no-rule' } },
  { name: '$SYS never matches a wildcard rule', rules: rules([{ name: 'all', topic: '#' }]), topic: '$SYS/x/clients', payload: '{"a":1}', expect: { ok: false, reason: 'no-rule' } },
  { name: 'not JSON', topic: 'devices/d1/telemetry', payload: '{"temp":', expect: { ok: false, reason: 'undecodable', detail: 'not JSON' } },
  { name: 'JSON but not an object', topic: 'devices/d1/telemetry', payload: '[1,2]', expect: { ok: false, reason: 'undecodable' } },
  { name: 'object without fields', topic: 'devices/d1/telemetry', payload: '{"ts":1}', expect: { ok: false, reason: 'undecodable', detail: 'no fields' } },
  { name: 'bad ts', topic: 'devices/d1/telemetry', payload: '{"a":1,"ts":"yesterday"}', expect: { ok: false, reason: 'undecodable' } },
  { name: 'not a number', rules: mixed, topic: 'plant/lyon/pressure/value', payload: '12abc', expect: { ok: false, reason: 'undecodable' } },
  { name: 'not a boolean', rules: mixed, topic: 'plant/lyon/door', payload: 'yes', expect: { ok: false, reason: 'undecodable' } },
  { name: 'protobuf garbage', rules: mixed, topic: 'pb/p1/reading', payload: Buffer.from([0xff, 0xff, 0xff, 0xff]), expect: { ok: false, reason: 'undecodable' } },
  { name: 'field name with a line break', topic: 'devices/d1/telemetry', payload: '{"a\\nb":1}', expect: { ok: false, reason: 'invalid-name' } },
];

for (const c of cases) {
  test(`mapTelemetry: ${c.name}`, () => {
    const mapped = compileRules(c.rules ?? defaultRules).mapTelemetry(c.topic, Buffer.isBuffer(c.payload) ? c.payload : Buffer.from(c.payload), T);
    const result = mapped.ok ? { ...mapped, point: plain(mapped.point) } : mapped;
    for (const [key, value] of Object.entries(c.expect)) assert.deepEqual((result as Record<string, unknown>)[key], value, key);
  });
}

test('mapTelemetry: a Protobuf rule decodes a real message', () => {
  const Reading = protobuf.loadSync(protoFile).lookupType('telemq.test.Reading');
  const bytes = Buffer.from(Reading.encode(Reading.create({ temperature: 21.25, humidity: 40.5, doorOpen: true, firmware: '1.2.3', ts: 1600000000123, battery: { volts: 3.7 } })).finish());
  const result = compileRules(mixed).mapTelemetry('pb/p1/reading', bytes, T);
  assert.deepEqual(result, {
    ok: true,
    rule: 'proto',
    point: { measurement: 'reading', tags: { device_id: 'p1' }, fields: { temperature: 21.25, humidity: 40.5, doorOpen: true, firmware: '1.2.3', battery_volts: 3.7 }, timestampMs: 1600000000123 },
  });
});

const badRules: Array<[string, unknown, RegExp]> = [
  ['# not last', { name: 'r1', topic: 'a/#/b' }, /bridge rule "r1": "#" must be the whole last level/],
  ['+ inside a level', { name: 'r2', topic: 'a/b+/c' }, /bridge rule "r2": "\+" must be a whole level/],
  ['tag level out of range', { name: 'r3', topic: 'a/+', tags: { x: 5 } }, /bridge rule "r3": tag x takes level 5/],
  ['measurement level out of range', { name: 'r4', topic: 'a/+', measurement: '{2}' }, /bridge rule "r4": measurement takes level 2/],
  ['$ topic', { name: 'r5', topic: '$SYS/#' }, /bridge rule "r5": \$ topics are never bridged/],
  ['missing .proto', { name: 'r6', topic: 'a/+', codec: { type: 'protobuf', protoFile: '/nonexistent.proto', messageType: 'X' } }, /bridge rule "r6": cannot load X/],
  ['unknown message type', { name: 'r7', topic: 'a/+', codec: { type: 'protobuf', protoFile, messageType: 'telemq.test.Nope' } }, /bridge rule "r7": cannot load telemq.test.Nope/],
];

for (const [what, rule, message] of badRules) {
  test(`compileRules: a bad rule stops start-up naming it (${what})`, () => {
    assert.throws(() => compileRules(rules([rule])), (err: Error & { code?: string }) => err.code === 'RULE_INVALID' && message.test(err.message));
  });
}
