// The built broker (broker/dist, as `npm start` runs it, without tsx) loads the store's worker thread
// from the build: a message published over MQTT lands in the embedded store and comes back over HTTP.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { mosquittoPub } from '../../../test/support/mosquitto-clients.ts';
import { freePort, waitFor } from '../../../test/support/net.ts';
import { spawnOwned } from '../../../test/support/owned-process.ts';
import { tempDirFor } from '../../../test/support/temp-dir.ts';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const builtMain = path.join(root, 'broker/dist/main.js');

test('the built broker writes to and reads from the embedded store through its worker', async (t) => {
  assert.ok(existsSync(path.join(root, 'broker/dist/stores/sqlite/sqlite-worker.js')), 'the build holds the worker (npm run build first)');
  const dataDir = tempDirFor(t, 'telemq-built-');
  const ports = { mqtt: await freePort(), http: await freePort() };
  const child = spawnOwned(process.execPath, [builtMain], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TELEMQ_HOST: '127.0.0.1', TELEMQ_MQTT_PORT: String(ports.mqtt), TELEMQ_HTTP_PORT: String(ports.http), TELEMQ_DATA_DIR: dataDir, TELEMQ_AUTH: 'none', TELEMQ_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  const httpUrl = `http://127.0.0.1:${ports.http}`;
  await waitFor(async () => (await fetch(`${httpUrl}/readyz`).catch(() => null))?.ok, 30_000, `built broker ready: ${output}`);

  const ts = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  await mosquittoPub({ port: ports.mqtt }, 'devices/built-1/telemetry', JSON.stringify({ temp: 21.5, ts }), { qos: 1 });
  const device = await waitFor(async () => {
    const body = (await (await fetch(`${httpUrl}/api/devices`)).json()) as { devices: Array<{ deviceId: string; lastSeen: number | null; latest: Record<string, unknown> }> };
    return body.devices.find((d) => d.deviceId === 'built-1' && d.lastSeen !== null);
  }, 15_000, 'the device in the store');
  assert.deepEqual(device.latest, { temp: 21.5 });
  assert.equal(device.lastSeen, ts);

  const history = await fetch(`${httpUrl}/api/history?device=built-1&field=temp&from=${ts - 1000}&to=${ts + 1000}`);
  assert.equal(history.status, 200);
  assert.deepEqual(((await history.json()) as { points: unknown[] }).points, [{ t: ts, v: 21.5 }]);
  assert.doesNotMatch(output, /store worker/, 'no worker failure logged');

  child.kill('SIGTERM');
  assert.equal(await exited, 0, output);
});
