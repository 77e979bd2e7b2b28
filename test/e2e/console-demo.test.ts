// The first minute with nothing connected: an admin starts the broker's demo fleet from the empty
// fleet page and, within the minute, watches a device's live chart fill; the demo stops from there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../support/net.ts';
import { adminPassword, loginWithPassword, openConsole, startBroker, waitForText } from './console-harness.ts';

/** points in the first live chart of the device page (evaluated in the page) */
const livePoints = `(() => { const u = document.querySelector('[data-chart] .plot')?.uplot; return u ? u.data[1].filter((v) => v != null).length : 0; })()`;

test('an empty fleet starts a demo fleet; a live chart fills within a minute; the demo stops', async (t) => {
  const server = await startBroker(t);
  const ui = await openConsole(t, server.httpUrl);
  const { page } = ui;
  await loginWithPassword(page, 'admin', adminPassword);
  await page.waitForSelector('[data-test=onboarding] [data-test=start-demo]');
  await ui.screenshots('onboarding-demo');
  const clickedAtMs = Date.now();
  await page.click('[data-test=start-demo]');
  await page.waitForSelector('tr[data-device="demo-1"]', { timeout: 30_000 });
  await waitForText(page, '[data-test=demo-running]', /demo fleet: 12 simulated devices/);
  assert.equal(await page.locator('[data-test=onboarding]').count(), 0, 'the onboarding gives way to the fleet');
  await waitForText(page, '[data-test=online-count]', /^12 online$/, 30_000);
  await ui.screenshots('demo-fleet');

  await page.click('a[href="#/devices/demo-1"]');
  await page.waitForSelector('[data-chart] .plot', { timeout: 15_000 });
  const points = await waitFor(async () => {
    const n = Number(await page.evaluate(livePoints));
    return n >= 3 ? n : null;
  }, 30_000, 'the live chart to fill');
  const seconds = (Date.now() - clickedAtMs) / 1000;
  assert.ok(seconds < 60, `live chart with ${points} points ${seconds.toFixed(1)} s after the click`);
  t.diagnostic(`live chart with ${points} points ${seconds.toFixed(1)} s after the click`);
  await ui.screenshots('demo-device');

  await page.goto(`${server.httpUrl}/#/`);
  await page.click('[data-test=stop-demo]');
  await page.waitForSelector('[data-test=demo-running]', { state: 'detached' });
  await waitForText(page, '[data-test=offline-count]', /^12 offline$/, 20_000);
  assert.deepEqual(ui.errors, []);
});
