// The points module between the bridge and the stores: one union told apart by `kind`, points of
// two mappers kept apart, and the arrows: the bridge's pure parts take nothing from stores/.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bridgeConfigSchema } from '../../src/bridge/config.ts';
import { compileRules } from '../../src/bridge/mapping.ts';
import type { Point } from '../../src/points/point.ts';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const read = (file: string) => readFileSync(path.join(src, file), 'utf8');

function mapped(mapper: ReturnType<typeof compileRules>, payload: string): Point {
  const result = mapper.mapTelemetry('devices/d1/telemetry', Buffer.from(payload), 1_700_000_000_000);
  assert.ok(result.ok, payload);
  return result.point;
}

test("a flat JSON payload maps to a 'json' point, anything else to a plain one; both serialise alike", () => {
  const mapper = compileRules(bridgeConfigSchema.parse({}).rules);
  const flat = mapped(mapper, '{"temp":21.5,"ok":true,"ts":1700000000001}');
  const nested = mapped(mapper, '{"temp":21.5,"ok":true,"ts":1700000000001,"x":"\\u0041"}');
  assert.equal(flat.kind, 'json');
  assert.notEqual(nested.kind, 'json');
  assert.deepEqual(JSON.parse(JSON.stringify(flat)), { measurement: 'telemetry', tags: { device_id: 'd1' }, fields: { temp: 21.5, ok: true }, timestampMs: 1_700_000_000_001 });
  assert.deepEqual(nested.fields, { temp: 21.5, ok: true, x: 'A' });
});

test("two mappers' points keep their own payload bytes, interleaved", () => {
  const [a, b] = [compileRules(bridgeConfigSchema.parse({}).rules), compileRules(bridgeConfigSchema.parse({}).rules)];
  const points: Point[] = [];
  for (let i = 0; i < 2000; i++) points.push(mapped(i % 2 === 0 ? a : b, `{"n":${i},"s":"${'x'.repeat(i % 50)}"}`));
  points.forEach((p, i) => assert.deepEqual(p.fields, { n: i, s: 'x'.repeat(i % 50) }));
});

test('the bridge mapping and codecs import no run-time code from stores/, and points/ holds no module state', () => {
  for (const file of ['bridge/mapping.ts', 'bridge/codecs.ts']) {
    const runtimeImports = read(file)
      .split('\n')
      .filter((line) => /^import (?!type )/.test(line) && line.includes('/stores/'));
    assert.deepEqual(runtimeImports, [], file);
  }
  for (const file of readdirSync(path.join(src, 'points'))) {
    assert.doesNotMatch(read(`points/${file}`), /^(let|var) /m, `points/${file}: module-level mutable state`);
  }
  for (const dir of ['bridge', 'stores', 'stores/influx', 'stores/sqlite']) {
    for (const file of readdirSync(path.join(src, dir)).filter((f) => f.endsWith('.ts'))) {
      assert.doesNotMatch(read(`${dir}/${file}`), /instanceof JsonPoint/, `${dir}/${file}`);
    }
  }
});
