// The flat JSON scan against the JSON codec's general path (JSON.parse), and the line protocol both
// kinds of point turn into: whatever the scan accepts must give the same fields, timestamp and stored
// values as JSON.parse would; whatever it cannot vouch for it must decline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJson } from '../../src/bridge/codecs.ts';
import { createShapeCache, scanFlatJson } from '../../src/points/flat-json.ts';
import { createJsonPoint, createPayloadSlab } from '../../src/points/json-point.ts';
import type { FieldValue, Point } from '../../src/points/point.ts';
import { toLineProtocol } from '../../src/stores/influx/line-protocol.ts';
import { createRng } from '../fuzz/frames.ts';

const tags = Object.freeze({ device_id: 'd1' });
const slab = createPayloadSlab();
const arrivalMs = 1_700_000_000_000;

/** Both decodings of one payload: the scan's (null when it declines) and JSON.parse's. */
function decodeBoth(text: string, shapes = createShapeCache()) {
  const payload = Buffer.from(text);
  const scanned = scanFlatJson(payload, 'ts', shapes);
  const flat = scanned && { ...scanned }; // the scan reuses its result object
  const general = decodeJson(payload, '_', 'ts');
  const point = flat === null ? null : createJsonPoint(slab, 'telemetry', tags, payload, flat.shape, flat.timestampMs ?? arrivalMs);
  return { flat, general, point };
}

/** Splits at `separator` where it is neither escaped with a backslash nor inside double quotes. */
function splitUnquoted(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      current += c + text[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  parts.push(current);
  return parts;
}

/** Field values of one line of line protocol, parsed the way influxd reads them (numbers as float64). */
function parseLine(line: string): { series: string; fields: Record<string, FieldValue>; timestamp: string } {
  const parts = splitUnquoted(line, ' ');
  assert.equal(parts.length, 3, `three parts in ${line}`);
  const fields: Record<string, FieldValue> = {};
  const members = splitUnquoted(parts[1]!, ',');
  for (const m of members) {
    const eq = m.search(/(?<!\\)=/);
    const key = m.slice(0, eq).replace(/\\(.)/g, '$1');
    const raw = m.slice(eq + 1);
    fields[key] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw === 'true' ? true : raw === 'false' ? false : Number(raw);
  }
  return { series: parts[0]!, fields, timestamp: parts[2]! };
}

const accepted = [
  '{"temperature":21.5,"humidity":40,"battery":3.7,"ts":1600000000123}',
  ' { "a" : 1 , "b":true,"c":false , "mode":"eco mode, fast=yes" } \n',
  '{"ts":1600000000123,"a":-12.25}',
  '{"a b":1,"x,y":2,"k=v":3}',
  '{"a":0,"b":0.5,"c":-0.5,"d":123456789012345678}',
  '{"2":1,"b":2,"1":3}',
];

const declined: Array<[string, string]> = [
  ['{"a":-0}', 'negative zero'],
  ['{"a":-0.0}', 'negative zero with a fraction'],
  ['{"a":1e5}', 'exponent'],
  ['{"a":"\\u00e9"}', 'escape in a string'],
  ['{"a":"é"}', 'non-ASCII string'],
  ['{"é":1}', 'non-ASCII key'],
  ['{"a":null,"b":1}', 'null'],
  ['{"a":{"b":1}}', 'nested object'],
  ['{"a":[1]}', 'array'],
  ['{"a":1,"a":2}', 'duplicate key'],
  ['{"ts":1}', 'only a timestamp'],
  ['{}', 'empty object'],
  ['{"ts":"2020-09-13T12:26:40.123Z","a":1}', 'ISO timestamp'],
  ['{"ts":1.5,"a":1}', 'fractional timestamp'],
  ['{"ts":-1,"a":1}', 'negative timestamp'],
  ['{"ts":true,"a":1}', 'boolean timestamp'],
  ['{"ts":1,"ts":2,"a":1}', 'two timestamps'],
  ['{"a":01}', 'leading zero'],
  ['{"a":1,}', 'trailing comma'],
  ['{"a":tru}', 'broken literal'],
  ['{"a":1}x', 'bytes after the object'],
  ['{"":1}', 'empty key'],
  ['{"a":123456789012345678901}', 'more than 20 digits'],
  ['{"a":1.}', 'dot without digits'],
  ['[1,2]', 'not an object'],
  ['{"a":1', 'cut short'],
  ['\ufeff{"a":1}', 'byte order mark'],
];

test('scanFlatJson accepts flat objects and gives what JSON.parse gives', () => {
  for (const text of accepted) {
    const { flat, general, point } = decodeBoth(text);
    assert.ok(flat, `accepted: ${text}`);
    assert.ok(general.ok && 'fields' in general, text);
    assert.deepEqual(point!.fields, general.fields, text);
    assert.equal(flat.timestampMs, general.timestampMs, text);
  }
});

for (const [text, why] of declined) {
  test(`scanFlatJson declines ${why}, and JSON.parse decides`, () => {
    assert.equal(decodeBoth(text).flat, null);
  });
}

test('scanFlatJson names one shape per distinct keys and kinds, and reuses it', () => {
  const shapes = createShapeCache();
  const a = decodeBoth('{"t":1,"h":2,"ts":5}', shapes).flat!;
  const b = decodeBoth('{"t":3.5,"h":4,"ts":6}', shapes).flat!;
  const c = decodeBoth('{"t":"hot","h":4,"ts":6}', shapes).flat!;
  const d = decodeBoth('{"t":1,"h":2,"ts":7}', shapes).flat!;
  assert.equal(a.shape, b.shape);
  assert.notEqual(a.shape, c.shape);
  assert.equal(d.shape, a.shape);
  assert.deepEqual(a.shape.fields, ['t', 'h']);
  assert.deepEqual(c.shape.kinds, ['string', 'number']);
  assert.equal(d.timestampMs, 7);
});

test('a JsonPoint serialises as the plain point (the spool stores it that way)', () => {
  const { point } = decodeBoth('{"a":1.5,"b":"x","ts":1600000000123}');
  assert.deepEqual(JSON.parse(JSON.stringify(point)), { measurement: 'telemetry', tags: { device_id: 'd1' }, fields: { a: 1.5, b: 'x' }, timestampMs: 1600000000123 });
});

/** A seeded generator of payloads, flat and not, with the number and string forms devices send. */
function randomPayloads(count: number, seed: number): string[] {
  const random = createRng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const keys = ['temperature', 'humidity', 'ts', 'a b', 'x,y', 'k=v', 'é', 'q"uote', 'back\\slash', '', 'mode', '7'];
  const numbers = () => pick([String(Math.floor(random() * 1e6)), (random() * 200 - 100).toFixed(Math.floor(random() * 6)), '-0', '0', '0.000', '1e3', '-2.5E-3', '12345678901234567890', '123456789012345678901', '007', String(Date.now())]);
  const strings = ['"eco"', '"a, b=c d"', '"tab\\there"', '"\\"quoted\\""', '"é"', '"\\\\"', '""'];
  const values = () => pick([numbers, numbers, numbers, () => pick(strings), () => pick(['true', 'false', 'null']), () => '{"inner":1}', () => '[1,2]'])();
  const space = () => pick(['', '', '', ' ', '\n', '\t ']);
  return Array.from({ length: count }, () => {
    const members = Array.from({ length: 1 + Math.floor(random() * 5) }, () => `${space()}${JSON.stringify(pick(keys))}${space()}:${space()}${values()}${space()}`);
    return `${space()}{${members.join(',')}}${space()}`;
  });
}

test('on 20,000 generated payloads the scan and JSON.parse agree on fields, timestamp and stored line', () => {
  const shapes = createShapeCache();
  let scanned = 0;
  for (const text of randomPayloads(20_000, 42)) {
    const { flat, general, point } = decodeBoth(text, shapes);
    if (flat === null) continue;
    scanned++;
    assert.ok(general.ok && 'fields' in general, `JSON.parse refused what the scan took: ${text}`);
    assert.deepEqual(point!.fields, general.fields, text);
    assert.equal(flat.timestampMs, general.timestampMs, text);
    const plain: Point = { measurement: 'telemetry', tags, fields: general.fields, timestampMs: general.timestampMs ?? arrivalMs };
    const fromBytes = parseLine(toLineProtocol([point!]).toString().trimEnd());
    const fromFields = parseLine(toLineProtocol([plain]).toString().trimEnd());
    assert.deepEqual(fromBytes, fromFields, text);
  }
  assert.ok(scanned > 1000, `the scan took ${scanned} payloads`); // about 1 in 18: most generated payloads hold something it declines
});

test('toLineProtocol escapes names and strings, sorts tags, leaves out empty tags, one line per point', () => {
  const points: Point[] = [
    { measurement: 'my room,1', tags: { z: 'last', a: 'x y', e: '' }, fields: { 'f=1': 1.5, s: 'say "hi" \\o/', on: true }, timestampMs: 1600000000123.7 },
    { measurement: 'm', tags: {}, fields: { v: -2 }, timestampMs: 5 },
  ];
  assert.equal(toLineProtocol(points).toString(), 'my\\ room\\,1,a=x\\ y,z=last f\\=1=1.5,s="say \\"hi\\" \\\\o/",on=true 1600000000123700\nm v=-2 5000\n');
});

test('toLineProtocol writes a JsonPoint from its bytes, timestamp key left out', () => {
  const { point } = decodeBoth('{ "t" : 21.50 ,"ts":1600000000123, "on":true,"mode":"eco"}');
  assert.equal(toLineProtocol([point!]).toString(), 'telemetry,device_id=d1 t=21.50,on=true,mode="eco" 1600000000123000\n');
});

test('a JsonPoint keeps a copy of its payload, not the buffer the payload was cut from', () => {
  const read = Buffer.alloc(64 * 1024, 0x20);
  const text = '{"a":1,"ts":5}';
  read.write(text, 1000, 'latin1');
  const payload = read.subarray(1000, 1000 + text.length);
  const flat = scanFlatJson(payload, 'ts', createShapeCache())!;
  const point = createJsonPoint(slab, 'm', tags, payload, flat.shape, 5);
  read.fill(0); // the broker's buffer is reused or freed
  assert.notEqual(point.bytes.buffer, read.buffer);
  assert.deepEqual(point.fields, { a: 1 });
  assert.equal(toLineProtocol([point]).toString(), 'm,device_id=d1 a=1 5000\n');
});

test('toLineProtocol makes room for field keys that grow when escaped', () => {
  const key = ','.repeat(60);
  const { point } = decodeBoth(`{${JSON.stringify(key)}:1,"ts":5}`);
  assert.equal(toLineProtocol([point!]).toString(), `telemetry,device_id=d1 ${'\\,'.repeat(60)}=1 5000\n`);
});

test('scanFlatJson leaves objects of more than 256 members to JSON.parse', () => {
  const members = (n: number) => `{${Array.from({ length: n }, (_, i) => `"f${i}":${i}`).join(',')}}`;
  assert.ok(decodeBoth(members(256)).flat);
  assert.equal(decodeBoth(members(257)).flat, null);
});
