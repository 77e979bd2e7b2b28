// `npm run user`: add, list, passwd, remove on the users file of a running broker.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openPasswordStore } from '../../src/auth/passwords.ts';
import { startTestApp } from '../../../test/support/app.ts';
import { createTempDir } from '../../../test/support/temp-dir.ts';
import { connackCode, securedConfig } from './helpers.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function runCli(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'broker/src/user-cli.ts', ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 },
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

test('concurrent user CLI runs never lose a user (8 in parallel × 5 adds)', async (t) => {
  const server = await startTestApp(securedConfig({ logLevel: 'warn' }));
  t.after(() => server.close());
  const configFile = path.join(server.dataDir, 'cli.json');
  writeFileSync(configFile, JSON.stringify({ auth: { scryptCostLog2: 10 } }));
  const env = { TELEMQ_DATA_DIR: server.dataDir, TELEMQ_CONFIG: configFile };
  const workers = Array.from({ length: 8 }, async (_, w) => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await runCli(['add', `user-${w}-${i}`, '--role', 'console'], env, `password-${w}-${i}\n`);
      assert.equal(run.code, 0, run.stderr);
      codes.push(run.code);
    }
    return codes;
  });
  await Promise.all(workers);
  const names = openPasswordStore(path.join(server.dataDir, 'users.json'), 10)
    .list()
    .map((u) => u.username)
    .filter((n) => n.startsWith('user-'));
  assert.equal(names.length, 40);
  // the running broker sees them
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'u-7-4', username: 'user-7-4', password: 'password-7-4' }), 0);
  // the same name added twice at once: exactly one run succeeds
  const twice = await Promise.all([0, 1].map(() => runCli(['add', 'twin', '--role', 'console'], env, 'twin-password\n')));
  assert.deepEqual(twice.map((r) => r.code).sort(), [0, 1]);
});

test('a users file that cannot be written: the CLI exits non-zero', async () => {
  const temp = createTempDir('telemq-cli-');
  const dir = temp.path;
  const configFile = path.join(dir, 'cli.json');
  // the users file would live under a regular file
  writeFileSync(configFile, JSON.stringify({ auth: { scryptCostLog2: 10, usersFile: path.join(configFile, 'users.json') } }));
  try {
    const run = await runCli(['add', 'bob', '--role', 'console'], { TELEMQ_DATA_DIR: dir, TELEMQ_CONFIG: configFile }, 'bob-password-1\n');
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /^telemq user: .*(EEXIST|ENOTDIR)/m);
  } finally {
    temp.remove();
  }
});

test('--generate-secret prints a machine secret once; the device connects with it', async (t) => {
  const server = await startTestApp(securedConfig({ logLevel: 'warn' }));
  t.after(() => server.close());
  const configFile = path.join(server.dataDir, 'cli.json');
  writeFileSync(configFile, JSON.stringify({ auth: { scryptCostLog2: 10 } }));
  const run = await runCli(['add', 'meter-7', '--role', 'device', '--generate-secret'], { TELEMQ_DATA_DIR: server.dataDir, TELEMQ_CONFIG: configFile });
  assert.equal(run.code, 0, run.stderr);
  const secret = /secret \(shown once\): (\S+)/.exec(run.stdout)?.[1];
  assert.ok(secret && secret.length >= 43);
  assert.match(openPasswordStore(path.join(server.dataDir, 'users.json'), 10).find('meter-7')?.hash ?? '', /^hmac-sha256\$/);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'meter-7', username: 'meter-7', password: secret }), 0);
});
