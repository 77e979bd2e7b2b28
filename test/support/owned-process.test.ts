// A process a test starts does not outlive the test process, even one killed without cleanup.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from './net.ts';

const ownedModule = fileURLToPath(new URL('./owned-process.ts', import.meta.url));

/** running, not gone or a zombie waiting to be reaped */
const running = (pid: number) => existsSync(`/proc/${pid}/stat`) && !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

test('spawnOwned: the child is killed when the process that started it is SIGKILLed', async (t) => {
  const script = `import { spawnOwned } from ${JSON.stringify(ownedModule)};
const child = spawnOwned('sleep', ['60'], { stdio: 'ignore' });
child.once('spawn', () => console.log(child.pid));
setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => parent.kill('SIGKILL'));
  let out = '';
  parent.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => /^\d+\n/.test(out), 20_000, 'the child pid');
  const childPid = Number(out.trim());
  assert.ok(running(childPid), 'the child runs while its parent does');
  parent.kill('SIGKILL');
  await waitFor(() => !running(childPid), 5000, `sleep (pid ${childPid}) to end with its parent`);
});
