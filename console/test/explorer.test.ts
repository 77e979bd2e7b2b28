import { describe, expect, test } from 'vitest';
import { buildCommand, commandPayload, readReply } from '../src/lib/commands.ts';
import { rangeQuery } from '../src/composables/useHistory.ts';
import { parseHash } from '../src/composables/useRoute.ts';
import { chooseTransport } from '../src/services.ts';

describe('commands', () => {
  test.each([
    ['set-interval', { ok: true, name: 'set-interval', body: { intervalMs: 2000 }, text: '' }],
    ['reboot', { ok: true, name: 'reboot', body: {}, text: '' }],
    ['ping', { ok: true, name: 'ping', body: { ts: 5 }, text: '' }],
  ] as const)('%s', (kind, expected) => {
    expect(buildCommand(kind, { intervalMs: 2000, customName: '', customJson: '' }, 5)).toEqual(expected);
  });

  test('custom commands need a name of one level and JSON', () => {
    expect(buildCommand('custom', { intervalMs: 0, customName: 'led', customJson: '{"on":true}' }, 0)).toEqual({ ok: true, name: 'led', body: { on: true }, text: '{"on":true}' });
    expect(buildCommand('custom', { intervalMs: 0, customName: 'a/b', customJson: '{}' }, 0).ok).toBe(false);
    expect(buildCommand('custom', { intervalMs: 0, customName: 'led', customJson: '{on' }, 0).ok).toBe(false);
  });

  test('the correlation id rides in an object payload; other JSON goes as written', () => {
    const ping = buildCommand('ping', { intervalMs: 0, customName: '', customJson: '' }, 5);
    const list = buildCommand('custom', { intervalMs: 0, customName: 'x', customJson: '[1]' }, 0);
    if (!ping.ok || !list.ok) throw new Error('built');
    expect(JSON.parse(commandPayload(ping, 'c1'))).toEqual({ ts: 5, id: 'c1' });
    expect(commandPayload(list, 'c2')).toBe('[1]');
  });

  test('a reply says its id, success or error, and what it reported', () => {
    expect(readReply('{"id":"c1","ok":true,"ts":9,"intervalMs":500}')).toEqual({ id: 'c1', ok: true, detail: 'intervalMs 500' });
    expect(readReply('{"id":"c2","ok":false,"error":"unknown command x"}')).toEqual({ id: 'c2', ok: false, detail: 'unknown command x' });
    expect(readReply('plain')).toEqual({ id: null, ok: true, detail: 'plain' });
  });
});

describe('history ranges', () => {
  test('hour is raw, day and week aggregate, custom picks a window', () => {
    expect(rangeQuery({ name: 'hour' }, 10_000_000)).toEqual({ from: 6_400_000, to: 10_000_000 });
    expect(rangeQuery({ name: 'day' }, 100_000_000)).toMatchObject({ everyMs: 60_000 });
    expect(rangeQuery({ name: 'week' }, 1e9)).toMatchObject({ everyMs: 600_000 });
    expect(rangeQuery({ name: 'custom', fromMs: 0, toMs: 3_000_000 }, 1e9)).toEqual({ from: 0, to: 3_000_000 });
    expect(rangeQuery({ name: 'custom', fromMs: 0, toMs: 30_000_000 }, 1e9)).toEqual({ from: 0, to: 30_000_000, everyMs: 20_000 });
  });
});

describe('routing and transport', () => {
  test('hash routes', () => {
    expect(parseHash('#/devices/a%2Fb')).toEqual({ name: 'device', deviceId: 'a/b' });
    expect(parseHash('#/explorer')).toEqual({ name: 'explorer' });
    expect(parseHash('')).toEqual({ name: 'fleet' });
  });

  test('MQTT when WebSocket exists, else SSE, else polling; ?live= forces one', () => {
    expect(chooseTransport('', true, true)).toBe('mqtt');
    expect(chooseTransport('', false, true)).toBe('sse');
    expect(chooseTransport('', false, false)).toBe('poll');
    expect(chooseTransport('?live=poll', true, true)).toBe('poll');
  });
});
