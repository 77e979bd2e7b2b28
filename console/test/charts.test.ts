import { describe, expect, test } from 'vitest';
import { formatField, formatNumber } from '../src/charts/field-format.ts';
import { timeTickLabels, typicalStepMs, withGaps } from '../src/charts/time-axis.ts';

describe('chart data', () => {
  test('a hole longer than the gap bound breaks the line', () => {
    expect(withGaps([1000, 2000, 3000, 10_000, 11_000], [1, 2, 3, 4, 5], 3000)).toEqual([
      [1, 2, 3, 6.5, 10, 11],
      [1, 2, 3, null, 4, 5],
    ]);
    expect(withGaps([1000, 9000], [1, 2], 0)).toEqual([[1, 9], [1, 2]]);
  });

  test('the typical step is the median gap', () => {
    expect(typicalStepMs([0, 1000, 2000, 60_000, 61_000])).toBe(1000);
    expect(typicalStepMs([5])).toBe(0);
  });

  test('time ticks: seconds, minutes, and the date where the day changes', () => {
    const base = new Date(2026, 10, 30, 23, 0, 0).getTime() / 1000;
    expect(timeTickLabels([base, base + 10], 10)).toEqual(['23:00:00', '23:00:10']);
    expect(timeTickLabels([base, base + 3600, base + 7200], 3600)).toEqual(['Nov 30 23:00', 'Dec 1 00:00', '01:00']);
    expect(timeTickLabels([base, base + 86_400], 86_400)).toEqual(['Nov 30', 'Dec 1']);
  });
});

describe('field formats', () => {
  const formats = { lat: { unit: '°', precision: 6, kind: 'number' as const }, energy: { unit: 'kWh', precision: 3, kind: 'number' as const }, moving: { unit: '', kind: 'state' as const } };
  test('declared precision and unit, state fields as on/off, others as they came', () => {
    expect(formatField('lat', 52.536213, formats)).toBe('52.536213°');
    expect(formatField('energy', 4477.264, formats)).toBe('4,477.264 kWh');
    expect(formatField('moving', 1, formats)).toBe('on');
    expect(formatField('other', 44, formats)).toBe('44');
    expect(formatField('other', 48.8, formats)).toBe('48.8');
    expect(formatNumber(0.1 + 0.2, undefined)).toBe('0.3');
  });
});
