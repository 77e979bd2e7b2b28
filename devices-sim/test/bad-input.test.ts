// Bad input ends with one clear message and a non-zero exit, never a stack trace.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../test/support/net.ts';
import { startTestApp } from '../../test/support/app.ts';
import { startMosquitto } from '../../test/support/services.ts';
import { runSim } from '../../test/support/simulator.ts';
import { isOneClearLine } from './helpers.ts';
import { tempDirFor } from '../../test/support/temp-dir.ts';

function assertClearFailure(result: { code: number | null; stderr: string }, pattern: RegExp) {
  assert.notEqual(result.code, 0, 'non-zero exit');
  assert.notEqual(result.code, null, 'exited by itself');
  assert.ok(isOneClearLine(result.stderr), `one clear line, got:\n${result.stderr}`);
  assert.match(result.stderr, pattern);
}

test('a nonsense flag', async () => {
  const result = await runSim(['--devcies', '10']);
  assertClearFailure(result, /--devcies is not a flag/);
  assert.equal(result.code, 2);
});

test('a malformed scenario file, YAML and JSON', async (t) => {
  const dir = tempDirFor(t, 'telemq-sim-bad-');
  const yaml = path.join(dir, 'fleet.yaml');
  writeFileSync(yaml, 'devices:\n  - profile: thermostat\n   count: [\n');
  const json = path.join(dir, 'fleet.json');
  writeFileSync(json, JSON.stringify({ devices: [{ profile: 'thermostat', count: 'ten' }] }));
  // independent runs, side by side
  const [fromYaml, fromJson] = await Promise.all([runSim(['--scenario', yaml]), runSim(['--scenario', json])]);
  assertClearFailure(fromYaml, /fleet\.yaml is not valid YAML/);
  assertClearFailure(fromJson, /fleet\.json: devices\.0\.count/);
});

test('an unreachable URL', async () => {
  const port = await freePort();
  const [result, ws] = await Promise.all([
    runSim(['--url', `mqtt://127.0.0.1:${port}`, '--devices', '5', '--duration', '5s']),
    runSim(['--url', `ws://127.0.0.1:${port}/mqtt`, '--devices', '5', '--duration', '5s']),
  ]);
  assertClearFailure(result, new RegExp(`cannot connect to mqtt://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
  assertClearFailure(ws, /cannot connect to ws:\/\/127\.0\.0\.1:\d+\/mqtt: .*ECONNREFUSED/);
});

test('refused credentials (a broker that demands a password)', async (t) => {
  const broker = await startMosquitto({ users: { user: 'password' } });
  t.after(() => broker.destroy());
  const result = await runSim(['--url', broker.url, '--devices', '3', '--password', 'wrong', '--duration', '5s']);
  assertClearFailure(result, /refused the credentials of sim-1: .*Not authorized/);
});

test('refused tokens (telemq with JWT auth): a token that is not one, and tokens signed with the wrong secret', async (t) => {
  const server = await startTestApp({ auth: { mode: 'required', jwtSecret: 'the-broker-secret-0123456789' }, logLevel: 'warn' });
  t.after(() => server.close());
  // independent runs, side by side
  const [token, secret, none] = await Promise.all([
    runSim(['--url', server.mqttUrl, '--devices', '3', '--token', 'not.a.jwt', '--duration', '5s']),
    runSim(['--url', server.wsUrl, '--devices', '3', '--secret', 'another-secret-0123456789', '--duration', '5s']),
    runSim(['--url', server.mqttUrl, '--devices', '3', '--duration', '5s']),
  ]);
  assertClearFailure(token, /mqtt:\/\/127\.0\.0\.1:\d+ refused the credentials of sim-1: Connection refused: (Bad username or password|Not authorized)/);
  assertClearFailure(secret, /ws:\/\/127\.0\.0\.1:\d+\/mqtt refused the credentials of sim-1/);
  assertClearFailure(none, /refused the credentials of sim-1/);
});
