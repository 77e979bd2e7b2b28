// The refusal vocabulary and the one counter that auth and guards share.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { BoundRefusal } from '../../src/broker/client-bounds.ts';
import type { ProtocolViolation } from '../../src/broker/types.ts';
import { createRefusals, refusalReasons, type RefusalReason } from '../../src/guards/refusals.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';

function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'warn' }, sink), lines };
}

test('every refusal reason is kebab-case and has a meaning; the broker core reports reasons from the same list', () => {
  for (const [reason, meaning] of Object.entries(refusalReasons)) {
    assert.match(reason, /^[a-z0-9]+(-[a-z0-9]+)*$/, reason);
    assert.ok(meaning.length > 10, reason);
  }
  // checked by the compiler: a core reason outside the list fails the type check
  const coreReasons: Array<ProtocolViolation['reason'] | BoundRefusal> = ['malformed-utf8', 'nul-character', 'invalid-topic', 'invalid-filter', 'protocol-violation', 'subscriptions-per-client', 'retained-topics-per-client'];
  for (const reason of coreReasons satisfies RefusalReason[]) assert.ok(reason in refusalReasons, reason);
});

test('one counter per registry: a second instance cannot share it without its log-once memory', async () => {
  const metrics = createMetricsRegistry();
  const { log, lines } = capturedLog();
  const refusals = createRefusals(metrics, log);
  assert.throws(() => createRefusals(metrics, log), /already been registered/);

  const client = {};
  refusals.refuse('forbidden-publish', client);
  refusals.refuse('forbidden-publish', client);
  refusals.refuse('topic-too-long', client);
  refusals.refuse('forbidden-forward', null);
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.deepEqual(lines.map((l) => l.reason), ['forbidden-publish', 'topic-too-long']);
  const text = await metrics.metrics();
  assert.match(text, /telemq_refusals_total\{reason="forbidden-publish"[^}]*\} 2/);
  assert.match(text, /telemq_refusals_total\{reason="forbidden-forward"[^}]*\} 1/);
});
