import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Identity } from '../../src/contract/index.ts';
import type { PublishedMessage } from '../../src/broker/types.ts';
import { authenticate, authorizeFilters, filtersOf, filtersProblem, maxFiltersPerRequest, receivedBy } from '../../src/live/access.ts';

test('a request whose filters break the grammar is refused whole [MQTT-4.7.1]', () => {
  const cases: Array<[string[], RegExp | null]> = [
    [['devices/+/telemetry', '#', 'devices/#', '$SYS/#'], null],
    [[], /at least one filter/],
    [['devices/+/telemetry', ''], /"": a topic must have at least one character/],
    [['devices/#/x'], /# must be alone in the last level/],
    [['devices/a#'], /# must be alone/],
    [['devices/a+/x'], /\+ must be alone/],
    [['a\u0000b'], /U\+0000/],
    [['a/\ud800'], /well-formed UTF-8/],
    [['x'.repeat(1025)], /longer than 1024/],
  ];
  for (const [filters, problem] of cases) {
    const found = filtersProblem(filters);
    if (problem === null) assert.equal(found, null, filters.join(' '));
    else assert.match(found ?? '', problem, JSON.stringify(filters));
  }
});

test('filters are granted or refused one by one by the ACL', () => {
  const identity: Identity = { subject: 'ops', role: 'console' };
  const acl = { canPublish: () => false, canSubscribe: (_i: Identity, f: string) => f.startsWith('devices/') };
  assert.deepEqual(authorizeFilters({ acl }, identity, ['devices/+/telemetry', '#', 'devices/+/telemetry', '$SYS/#']), {
    granted: ['devices/+/telemetry'],
    refused: ['#', '$SYS/#'],
  });
});

test('messages pass on only when the ACL lets the identity receive their topic', () => {
  const identity: Identity = { subject: 'ops', role: 'console' };
  const acl = { canPublish: () => false, canSubscribe: (_i: Identity, topic: string) => !topic.includes('secret') };
  const seen: string[] = [];
  const deliver = receivedBy({ acl }, identity, (item: { message: PublishedMessage }) => seen.push(item.message.topic));
  const item = (topic: string) => ({ message: { topic, payload: Buffer.from('1'), qos: 0 as const, retain: false } });
  for (const topic of ['devices/d1/telemetry', 'devices/secret/telemetry', 'devices/d2/telemetry']) deliver(item(topic));
  assert.deepEqual(seen, ['devices/d1/telemetry', 'devices/d2/telemetry']);
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
