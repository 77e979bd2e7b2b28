import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffBoundMs, createBackoff } from '../src/backoff.ts';
import { createRandom } from '../src/signals/random.ts';

test('the bound doubles from the base and stops at the cap', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 100, 5000].map((n) => backoffBoundMs(500, 10_000, n)),
    [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000],
  );
});

test('full jitter: every delay is between 0 and the bound, and delays spread over the whole range', () => {
  const delaysAtCap: number[] = [];
  for (let seed = 0; seed < 500; seed++) {
    const backoff = createBackoff({ baseMs: 100, capMs: 3000, random: createRandom(seed) });
    for (let attempt = 0; attempt < 12; attempt++) {
      const delay = backoff.nextDelayMs();
      assert.ok(delay >= 0 && delay <= backoffBoundMs(100, 3000, attempt), `attempt ${attempt}: ${delay}`);
      if (attempt >= 6) delaysAtCap.push(delay);
    }
  }
  assert.ok(Math.min(...delaysAtCap) < 300, 'some delays near 0');
  assert.ok(Math.max(...delaysAtCap) > 2700, 'some delays near the cap');
  const mean = delaysAtCap.reduce((a, b) => a + b, 0) / delaysAtCap.length;
  assert.ok(Math.abs(mean - 1500) < 150, `mean ${mean} ≈ cap / 2`);
});

test('reset starts again from the base', () => {
  const backoff = createBackoff({ baseMs: 100, capMs: 100_000, random: () => 0.999 });
  for (let i = 0; i < 8; i++) backoff.nextDelayMs();
  assert.equal(backoff.attempts, 8);
  assert.ok(backoff.nextDelayMs() > 20_000);
  backoff.reset();
  assert.ok(backoff.nextDelayMs() < 100);
});
