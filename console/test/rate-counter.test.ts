import { describe, expect, test } from 'vitest';
import { createRateCounter } from '../src/lib/rate-counter.ts';

/** a topic sending every `everyMs` from `fromMs`, read every 100 ms by a clock we move ourselves */
function readings(everyMs: number, untilMs: number, startMs = 100_000) {
  const counter = createRateCounter(startMs);
  const out: Array<{ atMs: number; perSecond: number | undefined }> = [];
  let nextSendMs = startMs + 7; // the first message comes a little after subscribing
  for (let now = startMs; now <= startMs + untilMs; now += 100) {
    for (; nextSendMs <= now; nextSendMs += everyMs) counter.count('t', nextSendMs);
    out.push({ atMs: now - startMs, perSecond: counter.rates(now)[0]?.perSecond });
  }
  return out;
}

describe('rate per topic', () => {
  test('reads the true rate from the first second after subscribing, not low', () => {
    const r = readings(100, 3000); // 10/s
    expect(r.filter((x) => x.atMs < 1000).every((x) => x.perSecond === undefined)).toBe(true);
    for (const x of r.filter((x) => x.atMs >= 1000)) expect(x.perSecond).toBeGreaterThan(9);
  });

  test('stays steady once the window is full: no swings as seconds enter and leave it', () => {
    const steady = readings(50, 40_000).filter((x) => x.atMs >= 12_000).map((x) => x.perSecond!); // 20/s
    expect(Math.min(...steady)).toBeGreaterThan(19);
    expect(Math.max(...steady)).toBeLessThan(21);
  });

  test('a slow topic (one message every 5 s) reads 0.2/s, not 1/s after its first message', () => {
    const slow = readings(5000, 30_000).filter((x) => x.atMs >= 10_000).map((x) => x.perSecond!);
    expect(Math.min(...slow)).toBeGreaterThanOrEqual(0.18);
    expect(Math.max(...slow)).toBeLessThanOrEqual(0.23);
  });

  test('busiest first; a topic quiet for the whole window is forgotten', () => {
    const c = createRateCounter(0);
    for (let t = 0; t < 5000; t += 100) c.count('a', t);
    for (let t = 0; t < 5000; t += 500) c.count('b', t);
    expect(c.rates(5000).map((r) => [r.topic, Math.round(r.perSecond)])).toEqual([
      ['a', 10],
      ['b', 2],
    ]);
    expect(c.rates(16_000)).toEqual([]);
    expect(c.topicCount).toBe(0);
  });

  test('a topic that stops decays, and is forgotten once out of the window', () => {
    const c = createRateCounter(0);
    for (let t = 0; t <= 3000; t += 100) c.count('a', t);
    expect(c.rates(3050)[0]!.perSecond).toBeCloseTo(10, 5);
    expect(c.rates(4000)[0]!.perSecond).toBeCloseTo(31 / 4, 5);
    expect(c.rates(8000)[0]!.perSecond).toBeCloseTo(31 / 8, 5);
    expect(c.rates(13_500)).toEqual([]);
  });

  test('bursts (several messages in one millisecond) read as their average, not as a spike', () => {
    const c = createRateCounter(0);
    for (let t = 0; t < 10_000; t += 500) for (let k = 0; k < 5; k++) c.count('b', t);
    expect(c.rates(10_000)[0]!.perSecond).toBeCloseTo(10, 0);
  });

  test('reset starts the observed time again', () => {
    const c = createRateCounter(0);
    for (let t = 0; t < 20_000; t += 1000) c.count('a', t);
    c.reset(20_000);
    for (let t = 20_000; t <= 22_000; t += 100) c.count('a', t);
    expect(c.rates(22_050)[0]!.perSecond).toBeCloseTo(10, 5);
  });
});
