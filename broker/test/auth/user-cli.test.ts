// `npm run user`: add, list, passwd, remove on the users file of a running broker.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestApp } from '../../../test/support/app.ts';
import { connackCode, securedConfig } from './helpers.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function runCli(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'broker/src/user-cli.ts', ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin);
  });
}

test('user CLI manages the password file of a running broker', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  const configFile = path.join(server.dataDir, 'cli.json');
  writeFileSync(configFile, JSON.stringify({ auth: { scryptCostLog2: 10 } }));
  const env = { TELEMQ_DATA_DIR: server.dataDir, TELEMQ_CONFIG: configFile };
  const login = async (username: string, password: string) =>
    (await fetch(`${server.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })).status;

  const added = await runCli(['add', 'bob', '--role', 'console'], env, 'bob-password-1\n');
  assert.equal(added.code, 0, added.stderr);
  assert.equal(await login('bob', 'bob-password-1'), 200);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'bob-ui', username: 'bob', password: 'bob-password-1' }), 0);

  const listed = await runCli(['list'], env);
  assert.match(listed.stdout, /^admin\tadmin$/m);
  assert.match(listed.stdout, /^bob\tconsole$/m);
  assert.ok(!listed.stdout.includes('scrypt'), 'list shows no hashes');

  assert.equal((await runCli(['passwd', 'bob'], env, 'bob-password-2\n')).code, 0);
  assert.equal(await login('bob', 'bob-password-1'), 401);
  assert.equal(await login('bob', 'bob-password-2'), 200);

  // refusals: duplicate, unknown role, short password, unknown user
  assert.notEqual((await runCli(['add', 'bob', '--role', 'console'], env, 'another-pass-1\n')).code, 0);
  assert.match((await runCli(['add', 'carol', '--role', 'root'], env, 'carol-pass-1\n')).stderr, /unknown role/);
  assert.match((await runCli(['add', 'carol', '--role', 'console'], env, 'short\n')).stderr, /at least 8/);
  assert.notEqual((await runCli(['remove', 'nobody'], env)).code, 0);

  assert.equal((await runCli(['remove', 'bob'], env)).code, 0);
  assert.equal(await login('bob', 'bob-password-2'), 401);
});
