// Presence as the console judges it, against the real broker and simulator: devices that go
// silent turn stale (no telemetry within 3 of their own intervals) and come back online; when the
// console loses the broker everything turns stale and commands are disabled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../support/net.ts';
import { adminPassword, loginWithPassword, openConsole, startBroker, startSimulator, waitForText } from './console-harness.ts';

test('silent devices turn stale and recover; a disconnected console shows everything stale and sends nothing', async (t) => {
  const server = await startBroker(t);
  const sim = startSimulator(t, server.wsUrl, { devices: 3, interval: '500ms', prefix: 'pr' });
  const ui = await openConsole(t, server.httpUrl);
  await loginWithPassword(ui.page, 'admin', adminPassword);
  await waitForText(ui.page, '[data-test=online-count]', /^3 online$/, 30_000);
  // Stale is judged against each device's own interval: wait until the console has measured it.
  await waitFor(async () => (await ui.page.locator('tr[data-device][data-interval-ms]').count()) === 3, 15_000, 'the intervals measured');

  // The simulator is paused: connections stay up (status still "online"), telemetry stops.
  sim.pause();
  await waitForText(ui.page, '[data-test=stale-count]', /^3 stale$/, 15_000);
  assert.equal(await ui.page.textContent('[data-test=online-count]'), '0 online');
  await ui.page.check('[data-filter=stale]');
  assert.equal(await ui.page.locator('tr[data-device]').count(), 3, 'the stale filter lists them');
  await ui.screenshots('fleet-stale');
  await ui.page.check('[data-filter=all]');
  sim.resume();
  await waitForText(ui.page, '[data-test=online-count]', /^3 online$/, 15_000);

  // The device page: online and able to send; then the broker goes away under the console.
  await ui.page.click('a[href="#/devices/pr-1"]');
  await waitForText(ui.page, '[data-test=device-status]', /^online$/);
  assert.equal(await ui.page.isEnabled('[data-test=send-command]'), true);
  await server.close();
  await waitForText(ui.page, '[data-test=device-status]', /^stale$/, 15_000);
  assert.equal(await ui.page.isDisabled('[data-test=send-command]'), true);
  await waitForText(ui.page, '[data-test=command-disabled]', /Disconnected/);
  await ui.screenshots('device-disconnected');
  await ui.page.click('a[href="#/"]');
  await waitForText(ui.page, '[data-test=stale-count]', /^3 stale$/);
});
