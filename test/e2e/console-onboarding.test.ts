// The first minute with an empty store: the fleet page says how to connect a device, an admin
// mints its token there, and the mosquitto_pub line shown, run as shown, brings the device in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DevicesResponse } from '../../broker/src/contract/index.ts';
import { mosquittoPub } from '../support/mosquitto-clients.ts';
import { waitFor } from '../support/net.ts';
import { adminPassword, loginWithPassword, loginWithToken, openConsole, signToken, startBroker, waitForText } from './console-harness.ts';

test('an empty fleet shows how to connect; a minted token connects a device that then appears', async (t) => {
  const server = await startBroker(t);
  const ui = await openConsole(t, server.httpUrl);
  await loginWithPassword(ui.page, 'admin', adminPassword);
  await ui.page.waitForSelector('[data-test=onboarding]');
  assert.equal(await ui.page.textContent('[data-test=ws-url]'), `${server.httpUrl.replace(/^http/, 'ws')}/mqtt`);
  assert.equal(await ui.page.textContent('[data-test=tcp-port]'), `127.0.0.1:${server.ports.mqtt}`);
  assert.match((await ui.page.textContent('[data-test=sim-command]')) ?? '', /npm run sim -- --url ws:\/\/127\.0\.0\.1:\d+\/mqtt/);
  await ui.screenshots('onboarding');

  await ui.page.fill('[data-test=mint-form] input[name=deviceId]', 'dev-1');
  await ui.page.click('[data-test=mint]');
  const token = (await waitForText(ui.page, '[data-test=minted-token]', /^ey[\w-]+\.[\w-]+\.[\w-]+$/)).trim();
  const line = (await ui.page.textContent('[data-test=mosquitto-pub]')) ?? '';
  assert.ok(line.includes(`-P "${token}"`), 'the mosquitto_pub line carries the minted token');
  assert.match(line, new RegExp(`-p ${server.ports.mqtt} -i dev-1 -u dev-1 .* -t devices/dev-1/telemetry`));
  await ui.screenshots('onboarding-token');

  // Run what the page shows (its arguments, through the shared mosquitto_pub helper).
  await mosquittoPub({ port: server.ports.mqtt, clientId: 'dev-1', username: 'dev-1', password: token }, 'devices/dev-1/telemetry', '{"temperature": 21.5}', { qos: 1 });
  await ui.page.waitForSelector('tr[data-device="dev-1"]', { timeout: 15_000 });
  assert.equal(await ui.page.locator('[data-test=onboarding]').count(), 0);
  assert.match((await ui.page.textContent('tr[data-device="dev-1"] [data-field=temperature]')) ?? '', /21\.50 °C/);

  // Another user, once the bridge has stored it, finds the device in the list from the store.
  const viewer = await signToken({ sub: 'viewer', role: 'console' });
  await waitFor(async () => {
    const res = await fetch(`${server.httpUrl}/api/devices`, { headers: { authorization: `Bearer ${viewer}` } });
    return ((await res.json()) as DevicesResponse).devices.some((d) => d.deviceId === 'dev-1');
  }, 10_000, 'dev-1 stored');
  await ui.page.click('[data-test=logout]');
  await loginWithToken(ui.page, viewer);
  await ui.page.waitForSelector('tr[data-device="dev-1"]');
  assert.deepEqual(ui.errors, []);
});
