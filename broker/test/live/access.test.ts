import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Identity } from '../../src/contract/index.ts';
import { authenticate, authorizeFilters, filtersOf, isValidFilter, maxFiltersPerRequest } from '../../src/live/access.ts';

test('topic filter syntax [MQTT-4.7.1]', () => {
  const cases: Array<[string, boolean]> = [
    ['devices/+/telemetry', true],
    ['#', true],
    ['devices/#', true],
    ['$SYS/#', true],
    ['', false],
    ['devices/#/x', false],
    ['devices/a#', false],
    ['devices/a+/x', false],
    ['a\u0000b', false],
  ];
  for (const [filter, valid] of cases) assert.equal(isValidFilter(filter), valid, filter);
});

test('filters are granted or refused one by one by the ACL', () => {
  const identity: Identity = { subject: 'ops', role: 'console' };
  const acl = { canPublish: () => false, canSubscribe: (_i: Identity, f: string) => f.startsWith('devices/') };
  assert.deepEqual(authorizeFilters({ acl }, identity, ['devices/+/telemetry', '#', 'devices/#/bad', 'devices/+/telemetry']), {
    granted: ['devices/+/telemetry'],
    refused: ['#', 'devices/#/bad'],
  });
});

test('the token comes from the Authorization header, else from ?token=', async () => {
  const seen: Array<string | undefined> = [];
  const access = {
    authenticateRequest: async (headers: { authorization?: string }) => {
      seen.push(headers.authorization);
      return headers.authorization === 'Bearer good' ? { subject: 'ops', role: 'console' } : null;
    },
  };
  assert.deepEqual(await authenticate(access, {}, 'good'), { subject: 'ops', role: 'console' });
  assert.equal(await authenticate(access, { authorization: 'Bearer bad' }, 'good'), null);
  assert.equal(await authenticate(access, {}, undefined), null);
  assert.deepEqual(seen, ['Bearer good', 'Bearer bad', undefined]);
});

test('filter= as one value, many, or too many', () => {
  assert.deepEqual(filtersOf({ filter: 'a' }), ['a']);
  assert.deepEqual(filtersOf({ filter: ['a', 'b'] }), ['a', 'b']);
  assert.deepEqual(filtersOf({}), []);
  assert.equal(filtersOf({ filter: Array.from({ length: 100 }, (_, i) => `t${i}`) }).length, maxFiltersPerRequest);
});
