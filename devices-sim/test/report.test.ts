import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideCommand } from '../src/commands.ts';
import { createReporter, statusLine } from '../src/report.ts';
import { emptyStats } from '../src/stats.ts';
import { splitFleet } from '../src/workers.ts';
import { groupOf } from '../src/fleet.ts';

const stats = { ...emptyStats(200), connected: 198, sent: 1000, reconnects: 3, errors: 2 };

test('on a terminal one status line is rewritten in place; otherwise one log line per update', () => {
  const tty: string[] = [];
  const r = createReporter({ out: { write: (s: string) => tty.push(s) }, isTty: true });
  r.update(stats, 199.6);
  r.update(stats, 200);
  assert.ok(tty.every((s) => s.startsWith('\r\x1b[2K') && !s.includes('\n')), 'carriage return, clear line, no newline');
  assert.match(tty[0]!, /connected 198\/200 · 200 msg\/s · sent 1000 · reconnects 3 · errors 2/);
  r.finish({ devices: 200, connected: 198, peakConnected: 200, sent: 1000, messagesPerSec: 200, reconnects: 3, errors: 2, commands: 0, durationMs: 5000, lastError: 'connect ECONNREFUSED 127.0.0.1:1883' });
  assert.match(tty.at(-1)!, /errors 2, commands 0 \(last error: connect ECONNREFUSED/);
  assert.match(tty.at(-1)!, /^sent 1000 messages from 200 devices in 5\.0 s/);

  const log: string[] = [];
  const l = createReporter({ out: { write: (s: string) => log.push(s) }, isTty: false });
  l.update(stats, 200);
  l.update(stats, 200);
  assert.equal(log.length, 2);
  assert.ok(log.every((s) => /^\d{4}-\d\d-\d\dT.* connected 198\/200 .*\n$/.test(s)));
  assert.equal(statusLine(stats, 0).includes('\r'), false);
});

test('commands: a table of payloads and decisions', () => {
  const cases: Array<[string, string, unknown]> = [
    ['ping', '{"id":7}', { kind: 'reply', reply: { id: 7, ok: true, ts: 1000 } }],
    ['ping', '', { kind: 'reply', reply: { ok: true, ts: 1000 } }],
    ['set-interval', '{"intervalMs":250}', { kind: 'set-interval', intervalMs: 250, reply: { ok: true, intervalMs: 250 } }],
    ['set-interval', '{"interval":"2s"}', { kind: 'set-interval', intervalMs: 2000, reply: { ok: true, intervalMs: 2000 } }],
    ['reboot', 'not json', { kind: 'reboot', reply: { ok: true, ts: 1000 } }],
  ];
  for (const [name, payload, expected] of cases) assert.deepEqual(decideCommand(name, Buffer.from(payload), 1000), expected, `${name} ${payload}`);
  for (const payload of ['{"intervalMs":1}', '{"intervalMs":"fast"}', '{}', '[]', '{"interval":"soon"}']) {
    assert.equal(decideCommand('set-interval', Buffer.from(payload), 0).kind, 'reply', payload);
  }
});

test('--processes splits the fleet into contiguous slices covering every device once', () => {
  const slices = splitFleet(10, 3, 300);
  assert.deepEqual(slices, [
    { from: 0, count: 4, connectRatePerSec: 100 },
    { from: 4, count: 3, connectRatePerSec: 100 },
    { from: 7, count: 3, connectRatePerSec: 100 },
  ]);
  const groups = [
    { profile: 'thermostat' as const, count: 2, intervalMs: 1000, qos: 0 as const },
    { profile: 'gps-tracker' as const, count: 1, intervalMs: 1000, qos: 0 as const },
  ];
  assert.deepEqual([0, 1, 2].map((i) => groupOf(groups, i).profile), ['thermostat', 'thermostat', 'gps-tracker']);
  assert.throws(() => groupOf(groups, 3), RangeError);
});
