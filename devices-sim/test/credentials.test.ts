import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt, jwtVerify } from 'jose';
import { createPasswordSource } from '../src/credentials.ts';

const secret = 'a-test-secret-of-32-characters!!';

test('--secret signs one HS256 token per device: sub = device id, role = device, exp = now + ttl', async () => {
  let nowMs = Date.UTC(2026, 0, 1);
  const source = createPasswordSource({ kind: 'secret', secret, tokenTtlSec: 3600 }, () => nowMs);
  const a = (await source('sim-1'))!;
  const b = (await source('sim-2'))!;
  assert.notEqual(a, b);
  const { payload, protectedHeader } = await jwtVerify(a, new TextEncoder().encode(secret), { currentDate: new Date(nowMs) });
  assert.equal(protectedHeader.alg, 'HS256');
  assert.equal(payload.sub, 'sim-1');
  assert.equal(payload.role, 'device');
  assert.equal(payload.exp, nowMs / 1000 + 3600);

  assert.equal(await source('sim-1'), a, 'the same token while it is fresh');
  nowMs += 0.85 * 3600 * 1000;
  const renewed = (await source('sim-1'))!;
  assert.notEqual(renewed, a, 'renewed after 80% of its lifetime');
  assert.equal(decodeJwt(renewed).exp, nowMs / 1000 + 3600);
});

test('a ready token or a password is the same for every device; none means no password', async () => {
  assert.equal(await createPasswordSource({ kind: 'token', token: 't' })('x'), 't');
  assert.equal(await createPasswordSource({ kind: 'password', password: 'p' })('x'), 'p');
  assert.equal(await createPasswordSource({ kind: 'none' })('x'), undefined);
});
