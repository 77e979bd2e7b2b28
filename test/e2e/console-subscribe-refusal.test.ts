// A refused subscription says why, in Chromium against the real broker: a SUBACK 0x80 carries no
// reason in MQTT 3.1.1, so the console asks GET /api/subscription-check after the refusal and
// shows the broker's cause: on the explorer beside the filter, and on any other page (the fleet
// page here) for the filters it watches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultRoles } from '../../broker/src/auth/config.ts';
import { adminPassword, jwtSecret, loginWithToken, openConsole, signToken, startBroker, waitForText } from './console-harness.ts';

const watcher = { publish: [], subscribe: ['devices/+/telemetry', '$SYS/#'], denySubscribe: ['devices/vault/telemetry'] };
const roles = { ...Object.fromEntries(Object.entries(defaultRoles).map(([name, r]) => [name, { publish: [...r.publish], subscribe: [...r.subscribe] }])), watcher };

test('a refused subscription shows the broker\'s reason: not allowed by the role, denied by a pattern', async (t) => {
  const server = await startBroker(t, { auth: { mode: 'required', jwtSecret, adminPassword, roles } });
  const ui = await openConsole(t, server.httpUrl);
  const { page } = ui;
  await loginWithToken(page, await signToken({ sub: 'wanda', role: 'watcher' }));
  await waitForText(page, '[data-test=connection]', /^\s*connected\s*$/);

  // The fleet page watches every device's status, which this role may not read.
  await waitForText(page, '[data-test=refusal]', /Not receiving devices\/\+\/status: the role watcher may subscribe only to filters inside devices\/\+\/telemetry, \$SYS\/#/);

  await page.goto(`${server.httpUrl}/#/explorer`);
  await page.fill('[data-test=filter]', 'devices/vault/telemetry');
  await page.click('[data-test=subscribe]');
  const denied = '[data-filter="devices/vault/telemetry"][data-status=refused]';
  await page.waitForSelector(denied);
  await waitForText(page, `${denied} [role=alert]`, /^the role watcher is denied filters inside devices\/vault\/telemetry \(denySubscribe\)$/);

  await page.fill('[data-test=filter]', 'devices/#');
  await page.click('[data-test=subscribe]');
  await waitForText(page, '[data-filter="devices/#"][data-status=refused] [role=alert]', /may subscribe only to filters inside devices\/\+\/telemetry, \$SYS\/#/);

  // An allowed filter next to them is granted and says nothing.
  await page.fill('[data-test=filter]', 'devices/+/telemetry');
  await page.click('[data-test=subscribe]');
  await page.waitForSelector('[data-filter="devices/+/telemetry"][data-status=granted]');
  assert.equal(await page.locator('[data-filter="devices/+/telemetry"] [role=alert]').count(), 0);
  await ui.screenshots('explorer-refusal');
  assert.deepEqual(ui.errors, []);
});
