import { describe, expect, test } from 'vitest';
import { createRing, createSeriesRing } from '../src/lib/ring-buffer.ts';

describe('series ring', () => {
  test('keeps the newest points in order once full', () => {
    const r = createSeriesRing(3);
    for (let i = 1; i <= 5; i++) r.push(i * 1000, i);
    expect(r.length).toBe(3);
    const { t, v } = r.since(0);
    expect([...t]).toEqual([3000, 4000, 5000]);
    expect([...v]).toEqual([3, 4, 5]);
    expect(r.lastT()).toBe(5000);
  });

  test('since() cuts at the first point at or after the bound, across the wrap', () => {
    const r = createSeriesRing(4);
    for (let i = 1; i <= 6; i++) r.push(i * 10, i);
    expect([...r.since(45).t]).toEqual([50, 60]);
    expect([...r.since(40).t]).toEqual([40, 50, 60]);
    expect([...r.since(61).t]).toEqual([]);
  });

  test('memory stays bounded however many points arrive', () => {
    const r = createSeriesRing(100);
    for (let i = 0; i < 100_000; i++) r.push(i, i);
    expect(r.length).toBe(100);
    expect(r.since(0).t[0]).toBe(99_900);
  });

  test('clear empties it', () => {
    const r = createSeriesRing(2);
    r.push(1, 1);
    r.clear();
    expect(r.length).toBe(0);
    expect(r.lastT()).toBe(-Infinity);
  });
});

describe('ring of values', () => {
  test('returns newest last and drops the oldest', () => {
    const r = createRing<string>(2);
    r.push('a');
    r.push('b');
    r.push('c');
    expect(r.toArray()).toEqual(['b', 'c']);
    r.clear();
    expect(r.toArray()).toEqual([]);
  });

  test('newest(n): the newest n, newest first, across the wrap', () => {
    const r = createRing<number>(4);
    for (let i = 1; i <= 6; i++) r.push(i);
    expect(r.newest(3)).toEqual([6, 5, 4]);
    expect(r.newest(10)).toEqual([6, 5, 4, 3]);
    expect(createRing<number>(2).newest(5)).toEqual([]);
  });
});
