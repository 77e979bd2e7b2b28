// `npm run token -- device ID --ttl 30d`: a device token signed with the data dir's secret, which
// a broker started on that data dir (no TELEMQ_JWT_SECRET) accepts for that device.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { startTestApp } from '../../../test/support/app.ts';
import { connackCode } from './helpers.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=source', '--import', 'tsx', 'broker/src/token-cli.ts', ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('token CLI mints a device token the broker accepts for that device only', async (t) => {
  const server = await startTestApp({ auth: { adminPassword: 'admin-pass-0123', scryptCostLog2: 10 } });
  t.after(() => server.close());
  const env = { TELEMQ_DATA_DIR: server.dataDir };
  const minted = await runCli(['device', 'dev-1', '--ttl', '30d'], env);
  assert.equal(minted.code, 0, minted.stderr);
  const token = minted.stdout.trim();
  const claims = decodeJwt(token);
  assert.equal(claims.sub, 'dev-1');
  assert.equal(claims.role, 'device');
  assert.ok(Math.abs((claims.exp ?? 0) - (claims.iat ?? 0) - 30 * 86_400) <= 1);
  assert.match(minted.stderr, /expires \d{4}-/);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'dev-1', username: 'dev-1', password: token }), 0);

  assert.equal((await runCli(['device'], env)).code, 1);
  assert.equal((await runCli(['device', 'a/b'], env)).code, 1);
  const badTtl = await runCli(['device', 'dev-2', '--ttl', 'soon'], env);
  assert.equal(badTtl.code, 1);
  assert.match(badTtl.stderr, /--ttl/);
});
