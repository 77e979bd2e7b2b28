import { describe, expect, test } from 'vitest';
import { summarizePayload } from '../src/explorer/payload-summary.ts';
import { createTopicTree } from '../src/explorer/topic-tree.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('topic tree', () => {
  test('counts at every level; last values on the exact topic; open levels show their children', () => {
    const tree = createTopicTree();
    tree.add('devices/a/telemetry', enc('1'), 10);
    tree.add('devices/a/telemetry', enc('2'), 20);
    tree.add('devices/b/status', enc('online'), 30);
    tree.add('$SYS/uptime', enc('5'), 40);
    expect(tree.rows(new Set()).map((r) => [r.topic, r.count, r.hasChildren])).toEqual([
      ['$SYS', 1, true],
      ['devices', 3, true],
    ]);
    const rows = tree.rows(new Set(['devices', 'devices/a']));
    expect(rows.map((r) => [r.topic, r.depth, r.count])).toEqual([
      ['$SYS', 0, 1],
      ['devices', 0, 3],
      ['devices/a', 1, 2],
      ['devices/a/telemetry', 2, 2],
      ['devices/b', 1, 1],
    ]);
    const leaf = rows.find((r) => r.topic === 'devices/a/telemetry')!;
    expect(new TextDecoder().decode(leaf.last!)).toBe('2');
    expect(leaf.lastAtMs).toBe(20);
    expect(rows.find((r) => r.topic === 'devices')!.last).toBeNull();
  });

  test('bounded: past maxNodes a new topic counts on its deepest known level', () => {
    const tree = createTopicTree(3);
    tree.add('a/b/c', enc('x'), 1);
    tree.add('a/b/d', enc('y'), 2);
    expect(tree.size).toBe(3);
    const rows = tree.rows(new Set(['a', 'a/b']));
    expect(rows.map((r) => [r.topic, r.count])).toEqual([
      ['a', 2],
      ['a/b', 2],
      ['a/b/c', 1],
    ]);
    expect(rows.find((r) => r.topic === 'a/b')!.last).toBeNull();
  });

  test('rows are bounded too', () => {
    const tree = createTopicTree();
    for (let i = 0; i < 50; i++) tree.add(`t/${i}`, enc(''), i);
    expect(tree.rows(new Set(['t']), 10)).toHaveLength(10);
  });
});

describe('payload summary', () => {
  const formats = { temperature: { unit: '°C', precision: 2, kind: 'number' as const }, moving: { unit: '', kind: 'state' as const } };
  test.each([
    ['{"temperature":21.3456,"moving":1,"ts":5}', 'temperature 21.35 °C · moving on'],
    ['{"gps":{"lat":1.5},"name":"x"}', 'gps_lat 1.5 · name x'],
    ['{"id":"c1","ok":true,"moving":false}', 'id c1 · ok true · moving off'],
    ['online', 'online'],
    ['[1,2]', '[1,2]'],
  ])('%s', (payload, text) => {
    expect(summarizePayload(enc(payload), formats)).toBe(text);
  });
  test('long text is cut', () => {
    expect(summarizePayload(enc('x'.repeat(200)), {}, 10)).toBe(`${'x'.repeat(10)}…`);
  });
});
