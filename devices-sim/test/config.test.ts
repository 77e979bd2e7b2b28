import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseFlags, usage, type SimConfig } from '../src/config.ts';
import { SimError } from '../src/errors.ts';
import { tempDirFor } from '../../test/support/temp-dir.ts';

const parse = (...argv: string[]) => parseFlags(argv) as SimConfig;

function rejects(argv: string[], pattern: RegExp) {
  assert.throws(() => parseFlags(argv), (err: unknown) => {
    assert.ok(err instanceof SimError, `a SimError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

test('defaults and the DESIGN.md flags', () => {
  const c = parse();
  assert.equal(c.url, 'mqtt://localhost:1883');
  assert.deepEqual(c.groups, [{ profile: 'thermostat', count: 10, intervalMs: 1000, qos: 0 }]);
  assert.equal(c.durationMs, null);
  const d = parse('--url', 'ws://localhost:8080/mqtt', '--devices', '100', '--interval', '500ms', '--profile', 'gps-tracker', '--qos', '1', '--duration', '2m', '--seed', '9', '--prefix', 'truck', '--secret', 'a-secret-of-16-chars', '--processes', '2', '--json');
  assert.deepEqual(d.groups, [{ profile: 'gps-tracker', count: 100, intervalMs: 500, qos: 1 }]);
  assert.equal(d.durationMs, 120_000);
  assert.equal(d.seed, 9);
  assert.equal(d.prefix, 'truck');
  assert.equal(d.credentials.kind, 'secret');
  assert.equal(d.processes, 2);
  assert.equal(d.json, true);
  assert.equal(parseFlags(['--help']), 'help');
});

test('--rate is messages per second for the whole fleet', () => {
  assert.equal(parse('--devices', '1000', '--rate', '500').groups[0]!.intervalMs, 2000);
  assert.equal(parse('--devices', '10', '--rate', '100').groups[0]!.intervalMs, 100);
});

test('nonsense flags and values end with one message naming the flag', () => {
  rejects(['--devcies', '10'], /^--devcies is not a flag/);
  rejects(['extra'], /unexpected argument extra/);
  rejects(['--devices', 'many'], /^--devices: expected a whole number/);
  rejects(['--devices', '0'], /^--devices: expected at least 1/);
  rejects(['--interval', 'fast'], /^--interval: "fast" is not a duration/);
  rejects(['--url', 'http://localhost'], /^--url: expected an mqtt/);
  rejects(['--profile', 'toaster'], /^--profile: expected one of thermostat, power-meter, gps-tracker/);
  rejects(['--qos', '3'], /^--qos: expected 0, 1 or 2/);
  rejects(['--token', 'x', '--password', 'y'], /--token and --password cannot be used together/);
  rejects(['--interval', '1s', '--rate', '5'], /cannot be used together/);
  rejects(['--backoff-base', '10s', '--backoff-cap', '1s'], /--backoff-cap/);
  rejects(['--devices'], /argument missing/);
  rejects(['--secret', 'short'], /^--secret: expected at least 16/);
});

test('a scenario file mixes profiles and counts, in YAML or JSON; a malformed one names the problem', (t) => {
  const dir = tempDirFor(t, 'telemq-sim-scenario-');
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const yaml = file('ok.yaml', 'devices:\n  - { profile: thermostat, count: 3 }\n  - profile: gps-tracker\n    count: 2\n    interval: 5s\n    qos: 1\n');
  const c = parse('--scenario', yaml, '--interval', '2s');
  assert.deepEqual(c.groups, [
    { profile: 'thermostat', count: 3, intervalMs: 2000, qos: 0 },
    { profile: 'gps-tracker', count: 2, intervalMs: 5000, qos: 1 },
  ]);
  assert.equal(c.totalDevices, 5);
  const json = file('ok.json', JSON.stringify({ devices: [{ profile: 'power-meter', count: 4 }] }));
  assert.equal(parse('--scenario', json).totalDevices, 4);

  rejects(['--scenario', file('bad.yaml', 'devices:\n  - profile: thermostat\n   count: [\n')], /scenario file .*bad\.yaml is not valid YAML/);
  rejects(['--scenario', file('bad.json', '{"devices": [')], /is not valid JSON/);
  rejects(['--scenario', file('kind.yaml', 'devices:\n  - { profile: toaster, count: 1 }\n')], /devices\.0\.profile/);
  rejects(['--scenario', file('count.json', '{"devices":[{"profile":"thermostat","count":-1}]}')], /devices\.0\.count/);
  rejects(['--scenario', file('empty.yaml', '')], /\(top level\)/);
  rejects(['--scenario', path.join(dir, 'missing.yaml')], /cannot read scenario file/);
  rejects(['--scenario', yaml, '--devices', '3'], /--scenario and --devices cannot be used together/);
});

test('the usage text comes from the same declarations as parsing: typing a default it shows changes nothing', () => {
  const lines = usage.split('\n').slice(1);
  assert.ok(lines.length >= 20);
  const defaults = parse();
  let checked = 0;
  for (const line of lines) {
    const [, name, value, shown] = /^ {2}--([a-z-]+)(?: ([A-Z]+))?.*?(?:\(default ([^)]+)\))?$/.exec(line)!;
    if (!value || shown === undefined) continue;
    assert.deepEqual(parse(`--${name}`, shown), defaults, `--${name} ${shown}`);
    checked++;
  }
  assert.ok(checked >= 14, `${checked} defaults checked`);
});
