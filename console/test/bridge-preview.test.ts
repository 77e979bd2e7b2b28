import { describe, expect, test } from 'vitest';
import { previewBridge, previewMessage, type PreviewRule } from '../src/lib/bridge-preview.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const at = 1_700_000_000_000;
/** the broker's default rule, as GET /api/bridge-rules serves it */
const telemetry: PreviewRule = { name: 'telemetry', topic: 'devices/+/telemetry', measurement: 'telemetry', tags: { device_id: 1 }, codec: { type: 'json', separator: '_', timestampField: 'ts' } };

describe('bridge preview (default rule)', () => {
  test.each([
    ['devices/d1/telemetry', '{"temp":21.5,"hum":40}', { ok: true, measurement: 'telemetry', tags: { device_id: 'd1' }, fields: { temp: 21.5, hum: 40 }, timestampMs: at }],
    ['devices/d1/telemetry', '{"temp":1,"ts":1600000000000}', { ok: true, timestampMs: 1_600_000_000_000, fields: { temp: 1 } }],
    ['devices/d1/telemetry', '{"temp":1,"ts":"2020-09-13T12:26:40Z"}', { ok: true, timestampMs: 1_600_000_000_000 }],
    ['devices/d1/telemetry', '{"gps":{"lat":1.5,"lon":2},"name":"x","on":true,"list":[1]}', { ok: true, fields: { gps_lat: 1.5, gps_lon: 2, name: 'x', on: true } }],
    ['devices/d1/telemetry', 'not json', { ok: false, reason: 'undecodable', detail: 'not JSON' }],
    ['devices/d1/telemetry', '[1,2]', { ok: false, reason: 'undecodable', detail: 'JSON is not an object' }],
    ['devices/d1/telemetry', '{"list":[1]}', { ok: false, reason: 'undecodable', detail: 'no fields' }],
    ['devices/d1/telemetry', '{"temp":1,"ts":"yesterday"}', { ok: false, reason: 'undecodable', detail: 'ts is not epoch ms or ISO 8601' }],
    ['devices/d1/telemetry', '{"a\\u0001":1}', { ok: false, reason: 'invalid-name' }],
    ['devices/d1/status', 'online', { ok: false, reason: 'no-rule' }],
    ['$SYS/b/clients/connected', '3', { ok: false, reason: 'no-rule' }],
  ])('%s %s', (topic, payload, expected) => {
    expect(previewBridge(topic, enc(payload), at, [telemetry])).toMatchObject(expected);
  });

  test('other rules: measurement from a topic level, plain numbers and booleans', () => {
    const rules: PreviewRule[] = [
      { name: 'plant', topic: 'plant/+/+', measurement: '{2}', tags: { site: 1 }, codec: { type: 'number', field: 'value' } },
      { name: 'door', topic: 'door/+', measurement: 'door', tags: { door: 1 }, codec: { type: 'boolean', field: 'open' } },
    ];
    expect(previewBridge('plant/north/pressure', enc(' 3.5 '), at, rules)).toMatchObject({ ok: true, measurement: 'pressure', tags: { site: 'north' }, fields: { value: 3.5 } });
    expect(previewBridge('plant/north/pressure', enc('high'), at, rules)).toMatchObject({ ok: false, reason: 'undecodable', detail: 'not a number' });
    expect(previewBridge('door/front', enc('true'), at, rules)).toMatchObject({ ok: true, fields: { open: true } });
  });
});

describe('bridge preview under the broker configuration', () => {
  const served = { enabled: true, rules: [telemetry], ignoreTopics: ['devices/+/status'] };
  test('an ignored topic is not telemetry rather than a dead letter', () => {
    expect(previewMessage('devices/d1/status', enc('online'), at, served)).toMatchObject({ ok: false, reason: 'ignored' });
    expect(previewMessage('other/x', enc('1'), at, served)).toMatchObject({ ok: false, reason: 'no-rule' });
    expect(previewMessage('devices/d1/telemetry', enc('{"t":1}'), at, served)).toMatchObject({ ok: true, fields: { t: 1 } });
  });
  test('a broker with the bridge off stores nothing', () => {
    expect(previewMessage('devices/d1/telemetry', enc('{"t":1}'), at, { ...served, enabled: false })).toMatchObject({ ok: false, reason: 'bridge-off' });
  });
});
