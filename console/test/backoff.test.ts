import { describe, expect, test } from 'vitest';
import { backoffCeilingMs, backoffDelayMs } from '../src/live/backoff.ts';

describe('reconnect backoff', () => {
  test('the ceiling doubles per attempt up to the cap', () => {
    const o = { baseMs: 500, capMs: 30_000 };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffCeilingMs(n, o))).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  test('full jitter: uniform between the floor and the ceiling', () => {
    const o = { baseMs: 1000, capMs: 8000, floorMs: 100 };
    expect(backoffDelayMs(3, () => 0, o)).toBe(100);
    expect(backoffDelayMs(3, () => 0.5, o)).toBe(4000);
    expect(backoffDelayMs(3, () => 0.999999, o)).toBe(8000);
    expect(backoffDelayMs(10, () => 0.999999, o)).toBe(8000);
  });

  test('random draws spread the delays', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const delays = Array.from({ length: 200 }, () => backoffDelayMs(5, random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...delays)).toBeLessThanOrEqual(16_000);
    expect(new Set(delays).size).toBeGreaterThan(150);
  });

  test('huge attempt counts do not overflow', () => {
    expect(backoffCeilingMs(10_000)).toBe(30_000);
  });
});
