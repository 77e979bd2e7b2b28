// GET /api/subscription-check: the cause behind each SUBACK 0x80, for the caller's own identity.
// Every refused verdict is also refused by the same broker over MQTT (MQTT.js), and the allowed
// one granted, so the explanation is the broker's decision, not a second opinion.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../../test/support/app.ts';
import type { SubscriptionCheckResponse } from '../../src/contract/index.ts';
import { connect, securedConfig, signToken, subackCodes } from '../auth/helpers.ts';

const viewer = { publish: [], subscribe: ['devices/+/telemetry', 'plant/{username}/#'], denySubscribe: ['devices/vault/telemetry'] };

test('GET /api/subscription-check: invalid, too long, too deep, denied, not allowed, allowed', async (t) => {
  const server = await startTestApp(securedConfig({ auth: { roles: { viewer, admin: { publish: ['#'], subscribe: ['#'] } } }, guards: { maxTopicLength: 64, maxTopicLevels: 5 } }));
  t.after(() => server.close());
  const token = await signToken({ sub: 'ann', role: 'viewer' });
  const check = async (filter: string | null, bearer: string | null = token) => {
    const url = new URL('/api/subscription-check', server.httpUrl);
    if (filter !== null) url.searchParams.set('filter', filter);
    const res = await fetch(url, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
    return { status: res.status, body: (await res.json()) as SubscriptionCheckResponse & { error?: string } };
  };

  assert.equal((await check('a/b', null)).status, 401);
  assert.equal((await check(null)).status, 400);

  const cases: Array<[filter: string, verdict: SubscriptionCheckResponse['verdict'], message: RegExp, patterns: string[]]> = [
    ['devices/#/telemetry', 'invalid_filter', /^not a valid topic filter: # must be alone in the last level/, []],
    ['devices/x+/telemetry', 'invalid_filter', /\+ must be alone in its level/, []],
    [`plant/ann/${'x'.repeat(60)}`, 'too_long', /longer than this broker's 64 bytes \(guards\.maxTopicLength\)/, []],
    ['plant/ann/a/b/c/d', 'too_deep', /more than this broker's 5 levels \(guards\.maxTopicLevels\)/, []],
    ['devices/vault/telemetry', 'denied', /^the role viewer is denied filters inside devices\/vault\/telemetry \(denySubscribe\)$/, ['devices/vault/telemetry']],
    ['devices/+/status', 'not_allowed', /^the role viewer may subscribe only to filters inside devices\/\+\/telemetry, plant\/ann\/#$/, ['devices/+/telemetry', 'plant/ann/#']],
    ['plant/bob/#', 'not_allowed', /plant\/ann\/#/, ['devices/+/telemetry', 'plant/ann/#']],
    ['plant/ann/line-1/#', 'allowed', /^the role viewer may subscribe to it \(plant\/ann\/#\)/, ['plant/ann/#']],
  ];
  for (const [filter, verdict, message, patterns] of cases) {
    const { status, body } = await check(filter);
    assert.equal(status, 200, filter);
    assert.equal(body.filter, filter);
    assert.equal(body.verdict, verdict, filter);
    assert.match(body.message, message, filter);
    assert.deepEqual(body.patterns, patterns, filter);
  }

  // The broker decides each well-formed filter over MQTT as the route explains it (a malformed one
  // MQTT.js does not send).
  const client = await connect(server.mqttUrl, { clientId: 'ann-console', password: token });
  t.after(() => client.endAsync(true));
  const wellFormed = cases.filter(([, verdict]) => verdict !== 'invalid_filter');
  const codes = await subackCodes(client, wellFormed.map(([filter]) => filter));
  assert.deepEqual(
    codes.map((c) => (c === 128 ? 'refused' : 'granted')),
    wellFormed.map(([, verdict]) => (verdict === 'allowed' ? 'granted' : 'refused')),
  );
});
