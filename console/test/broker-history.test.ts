import { describe, expect, test } from 'vitest';
import { joinHistory } from '../src/lib/broker-stats.ts';

const f = (xs: number[]) => Float64Array.from(xs);

describe('broker history joined to live samples', () => {
  test('history before the first live point, from the window start on', () => {
    const joined = joinHistory({ t: [10, 20, 30, 40], v: [1, 2, 3, 4] }, { t: f([35, 45]), v: f([9, 9]) }, 15);
    expect([...joined.t]).toEqual([20, 30, 35, 45]);
    expect([...joined.v]).toEqual([2, 3, 9, 9]);
  });
  test('no live points yet: the history alone; no history: the live points', () => {
    expect([...joinHistory({ t: [10, 20], v: [1, 2] }, { t: f([]), v: f([]) }, 0).v]).toEqual([1, 2]);
    const live = { t: f([5]), v: f([7]) };
    expect(joinHistory(null, live, 0)).toBe(live);
  });
});
