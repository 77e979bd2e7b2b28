// The console end to end: real broker with the embedded store, real simulator, real Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestApp } from '../support/app.ts';
import { waitFor } from '../support/net.ts';
import { adminPassword, loginWithPassword, loginWithToken, openConsole, signToken, startBroker, startSimulator, waitForText, type ConsolePage } from './console-harness.ts';

const prefix = 'e2e';
const devices = 5;

describe('console against a live fleet', () => {
  let server: TestApp;
  let ui: ConsolePage;
  // Cleanups registered while the stack starts run when the suite ends, newest first.
  const cleanups: Array<() => unknown> = [];
  const cleanup = { after: (fn: () => unknown) => void cleanups.unshift(fn) };
  after(async () => {
    for (const fn of cleanups) await fn();
  });

  before(async () => {
    server = await startBroker(cleanup);
    startSimulator(cleanup, server.wsUrl, { devices, interval: '500ms', prefix });
    ui = await openConsole(cleanup, server.httpUrl);
  });

  test('log in with user and password; devices come online', async () => {
    await ui.page.waitForSelector('input[name=username]');
    await loginWithPassword(ui.page, 'admin', adminPassword);
    await waitForText(ui.page, '[data-test=connection]', /^\s*connected/);
    await waitForText(ui.page, '[data-test=online-count]', new RegExp(`^${devices} online$`), 30_000);
    assert.equal(await ui.page.locator(`tr[data-device="${prefix}-1"] [data-test=status]`).textContent(), 'online');
    await ui.screenshot('fleet');
  });

  test('a live value changes on screen', async () => {
    const cell = ui.page.locator(`tr[data-device="${prefix}-1"] [data-test=values]`);
    const first = await waitFor(async () => ((await cell.textContent()) ?? '').trim() || null, 10_000, 'first values');
    await waitFor(async () => ((await cell.textContent()) ?? '').trim() !== first, 10_000, 'values to change');
  });

  test('history loads and joins live data with no gap and no duplicate', async () => {
    await ui.page.click(`a[href="#/devices/${prefix}-1"]`);
    await ui.page.waitForSelector('[data-chart]', { timeout: 10_000 });
    const status = ui.page.locator('[data-test=history-status]');
    const read = async () => ({
      state: await status.getAttribute('data-state'),
      history: Number(await status.getAttribute('data-history-points')),
      live: Number(await status.getAttribute('data-live-points')),
      duplicates: Number(await status.getAttribute('data-duplicates')),
      gapMs: Number(await status.getAttribute('data-seam-gap-ms')),
    });
    const joined = await waitFor(async () => {
      const r = await read();
      return r.state === 'done' && r.history > 0 && r.live > 2 ? r : null;
    }, 20_000, 'history followed by live points');
    assert.equal(joined.duplicates, 0);
    assert.ok(joined.gapMs > 0 && joined.gapMs <= 1500, `seam gap ${joined.gapMs} ms is one telemetry interval, not a hole`);
    await ui.screenshot('device');
  });

  test('a command gets its reply', async () => {
    await ui.page.selectOption('[data-test=command-kind]', 'ping');
    await ui.page.click('[data-test=send-command]');
    const replies = await waitForText(ui.page, '[data-test=replies]', /ping[\s\S]*"ok":true/);
    assert.match(replies, /ping/);
  });

  test('phone-sized, dark theme, reachable from the keyboard', async () => {
    await ui.page.setViewportSize({ width: 390, height: 844 });
    await ui.page.goto(`${ui.page.url().split('#')[0]}#/`);
    await waitForText(ui.page, '[data-test=online-count]', /online/);
    await ui.page.focus('[data-test=theme]');
    await ui.page.keyboard.press('Enter');
    assert.equal(await ui.page.getAttribute('html', 'data-theme'), 'dark');
    // Tab reaches the search box and the first device link.
    const focused: string[] = [];
    for (let i = 0; i < 12; i++) {
      await ui.page.keyboard.press('Tab');
      // evaluated in the page (strings keep browser globals out of this file's types)
      focused.push(String(await ui.page.evaluate("document.activeElement?.dataset?.test ?? document.activeElement?.textContent ?? ''")));
    }
    assert.ok(focused.includes('search'), `tab order: ${focused.join(' | ')}`);
    const overflow = Number(await ui.page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    assert.ok(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow} px)`);
    await ui.screenshot('phone-dark');
    await ui.page.setViewportSize({ width: 1280, height: 860 });
  });

  test('the broker page shows connections and message rates', async () => {
    await ui.page.goto(`${ui.page.url().split('#')[0]}#/broker`);
    const connections = await waitForText(ui.page, '[data-stat=connections] .value', /^\d+$/, 20_000);
    assert.ok(Number(connections) >= devices, `${connections} connections`);
    await waitForText(ui.page, '[data-stat="msg/s in"] .value', /^[1-9][\d.]*$/, 20_000);
    await ui.screenshot('broker');
  });

  test('a forbidden filter in the explorer is refused visibly', async () => {
    await ui.page.click('[data-test=logout]');
    await loginWithToken(ui.page, await signToken({ sub: 'viewer', role: 'console' }));
    await waitForText(ui.page, '[data-test=connection]', /^\s*connected/);
    await ui.page.goto(`${ui.page.url().split('#')[0]}#/explorer`);
    await ui.page.fill('[data-test=filter]', '#');
    await ui.page.click('[data-test=subscribe]');
    await ui.page.waitForSelector('[data-filter="#"][data-status=refused]');
    assert.match((await ui.page.textContent('[data-filter="#"]')) ?? '', /refused/);
    await ui.page.fill('[data-test=filter]', 'devices/+/telemetry');
    await ui.page.click('[data-test=subscribe]');
    await ui.page.waitForSelector('[data-filter="devices/+/telemetry"][data-status=granted]');
    await ui.page.waitForSelector('[data-test=messages] li button');
    await ui.page.waitForSelector('[data-test=bridge-preview]');
    assert.match((await ui.page.textContent('[data-test=bridge-preview]')) ?? '', /measurement\s*telemetry/);
    await ui.page.locator('[data-chart-field]').first().click();
    await ui.page.waitForSelector('[data-test=explorer-chart] canvas');
    await ui.screenshot('explorer');
  });

  test('an expired token returns to login with a message', async () => {
    await ui.page.click('[data-test=logout]');
    await loginWithToken(ui.page, await signToken({ sub: 'viewer', role: 'console' }, 3));
    await ui.page.waitForSelector('[data-test=connection]');
    await waitForText(ui.page, '[data-test=login-message]', /expired/, 10_000);
    await ui.screenshot('expired');
  });

  test('no console errors on the way', () => {
    assert.deepEqual(ui.errors, []);
  });
});

describe('console without WebSocket', () => {
  for (const live of ['sse', 'poll'] as const) {
    test(`${live}: live values reach the fleet page`, async (t) => {
      const server = await startBroker(t);
      startSimulator(t, server.wsUrl, { devices: 2, interval: '500ms', prefix: live });
      const ui = await openConsole(t, `${server.httpUrl}/?live=${live}`);
      await loginWithPassword(ui.page, 'admin', adminPassword);
      await waitForText(ui.page, '[data-test=connection]', new RegExp(`connected \\(${live}\\)`));
      const cell = ui.page.locator(`tr[data-device="${live}-1"] [data-test=values]`);
      const first = await waitFor(async () => ((await cell.textContent().catch(() => '')) ?? '').trim() || null, 15_000, 'first values');
      await waitFor(async () => ((await cell.textContent()) ?? '').trim() !== first, 10_000, 'values to change');
      await ui.screenshot(`fleet-${live}`);
      assert.deepEqual(ui.errors, []);
    });
  }
});
