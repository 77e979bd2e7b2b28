// First start without a secret: a secret and an admin user under dataDir, mode 0600, the admin
// login printed once (never logged); anonymous access only with TELEMQ_AUTH=none, warned at every
// start; no secret or password in any log line.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createApp } from '../../src/app.ts';
import { parseConfig, type ConfigInput } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { PassThrough } from 'node:stream';
import { startTestApp } from '../../../test/support/app.ts';
import { connackCode, signToken } from './helpers.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';

/** Starts the app with a captured log and a captured console, returns both and closes it. */
async function startOnce(dataDir: string, input: ConfigInput): Promise<{ logText: string; printed: string; urls: { mqtt: string; http: string }; close: () => Promise<void> }> {
  const config = parseConfig({ dataDir, logLevel: 'debug', ...input, transport: { host: '127.0.0.1', mqttPort: 0, httpPort: 0 } });
  let logText = '';
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => (logText += chunk.toString()));
  let printed = '';
  const app = createApp(config, { log: createLogger('debug', sink), print: (text) => (printed += text) });
  const ports = await app.start();
  return {
    get logText() {
      return logText;
    },
    printed,
    urls: { mqtt: `mqtt://127.0.0.1:${ports.mqtt}`, http: `http://127.0.0.1:${ports.http}` },
    close: () => app.close(),
  };
}

test('first start generates a secret and an admin password, stored 0600, printed once', async (t) => {
  const dataDir = tempDirFor(t, 'telemq-first-');
  const first = await startOnce(dataDir, { auth: { scryptCostLog2: 10 } });
  const password = /password "([^"]+)"/.exec(first.printed)?.[1];
  assert.ok(password, 'the admin login is printed');
  const secret = readFileSync(path.join(dataDir, 'jwt-secret'), 'utf8').trim();
  assert.equal(statSync(path.join(dataDir, 'jwt-secret')).mode & 0o777, 0o600);
  assert.equal(statSync(path.join(dataDir, 'users.json')).mode & 0o777, 0o600);

  const res = await fetch(`${first.urls.http}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  assert.equal(res.status, 200);
  const { token } = (await res.json()) as { token: string };
  // tokens signed with the generated secret are accepted (the simulator reads it from the same file)
  assert.equal(await connackCode(first.urls.mqtt, { clientId: 'd1', password: await signToken({ sub: 'd1', role: 'device' }, { secret }) }), 0);
  await first.close();
  for (const value of [password, secret, token]) assert.ok(!first.logText.includes(value), 'no secret in the log');

  // second start: same secret, nothing printed
  const second = await startOnce(dataDir, { auth: { scryptCostLog2: 10 } });
  t.after(() => second.close());
  assert.equal(second.printed, '');
  assert.equal(readFileSync(path.join(dataDir, 'jwt-secret'), 'utf8').trim(), secret);
  assert.equal(await connackCode(second.urls.mqtt, { clientId: 'admin-1', username: 'admin', password }), 0);
});

test('TELEMQ_AUTH=none allows anonymous clients and warns at every start', async (t) => {
  for (let i = 0; i < 2; i++) {
    const server = await startTestApp({ auth: { mode: 'none' } });
    t.after(() => server.close());
    assert.equal(await connackCode(server.mqttUrl, { clientId: `anyone-${i}` }), 0);
    const warnings = server.logs.filter((l) => l.level === 40 && String(l.msg).includes('TELEMQ_AUTH=none'));
    assert.equal(warnings.length, 1);
  }
});
