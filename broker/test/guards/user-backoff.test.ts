// The per-user-name back-off as a table of steps on a fake clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUserBackoff } from '../../src/guards/user-backoff.ts';

const limits = { failedAuthPerUserFree: 2, failedAuthUserBackoffMs: 1000, failedAuthUserBackoffMaxMs: 4000 };

test('free failures, then doubling back-off with one check at a time, up to the max', () => {
  const names = createUserBackoff(limits);
  const fail = (nowMs: number) => {
    const r = names.reserve('bob', nowMs);
    assert.ok(r, `a check at ${nowMs} ms`);
    r.settle('failed', nowMs);
  };
  fail(0);
  fail(0);
  assert.equal(names.reserve('bob', 999), null, 'backing off 1 s after the second failure');
  fail(1000);
  assert.equal(names.reserve('bob', 2999), null, 'then 2 s');
  const probe = names.reserve('bob', 3000);
  assert.ok(probe);
  assert.equal(names.reserve('bob', 3000), null, 'one check at a time while backing off');
  probe.settle('failed', 3000);
  assert.equal(names.reserve('bob', 6999), null, 'then 4 s (the max)');
  fail(7000);
  assert.equal(names.reserve('bob', 10_999), null, 'still 4 s');
  assert.ok(names.reserve('alice', 7000), 'other names are not affected');
});

test('counted before the check: parallel checks of one name stop at the free count', () => {
  const names = createUserBackoff(limits);
  const a = names.reserve('bob', 0);
  const b = names.reserve('bob', 0);
  assert.ok(a && b);
  assert.equal(names.reserve('bob', 0), null);
  a.settle('not_checked', 0);
  const c = names.reserve('bob', 0);
  assert.ok(c, 'a check that did not run frees its place without counting');
});

test('a success forgets the failures', () => {
  const names = createUserBackoff(limits);
  names.reserve('bob', 0)?.settle('failed', 0);
  names.reserve('bob', 0)?.settle('succeeded', 0);
  names.reserve('bob', 0)?.settle('failed', 0);
  assert.ok(names.reserve('bob', 0), 'one failure since the success: still free');
});
