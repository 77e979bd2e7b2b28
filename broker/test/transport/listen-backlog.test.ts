// The listening sockets hold a fleet's burst of connects: a backlog above Node's default of 511,
// read back from the kernel (ss shows a listener's backlog as its Send-Q).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { listenBacklog } from '../../src/transport/listen.ts';
import { startTestApp } from '../../../test/support/app.ts';

function kernelBacklog(port: number): number {
  const out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim();
  // State Recv-Q Send-Q Local:Port Peer:Port
  return Number(out.split(/\s+/)[2]);
}

test('the MQTT and HTTP listeners ask the kernel for a backlog of listenBacklog, not 511', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  const expected = Math.min(listenBacklog, Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8')));
  assert.ok(expected > 511, `net.core.somaxconn caps the backlog at ${expected}`);
  assert.equal(kernelBacklog(server.ports.mqtt), expected);
  assert.equal(kernelBacklog(server.ports.http), expected);
});
