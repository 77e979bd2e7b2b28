// The console end to end: real broker with the embedded store, real simulator, real Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestApp } from '../support/app.ts';
import { waitFor } from '../support/net.ts';
import { adminPassword, chartFacts, loginWithPassword, loginWithToken, openConsole, signToken, startBroker, startSimulator, waitForText, type ChartFacts, type ConsolePage } from './console-harness.ts';

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

  const base = () => ui.page.url().split('#')[0]!;

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
    await ui.screenshots('fleet');
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
      widestOtherGapMs: Number(await status.getAttribute('data-widest-other-gap-ms')),
    });
    const joined = await waitFor(async () => {
      const r = await read();
      return r.state === 'done' && r.history > 0 && r.live > 2 ? r : null;
    }, 20_000, 'history followed by live points');
    assert.equal(joined.duplicates, 0);
    // a point lost at the seam would make it wider than the device's own steps (500 ms, longer when
    // the machine is busy and the simulator's timer runs late)
    const bound = Math.max(1500, joined.widestOtherGapMs);
    assert.ok(joined.gapMs > 0 && joined.gapMs <= bound, `seam gap ${joined.gapMs} ms is no wider than the device's own steps (${joined.widestOtherGapMs} ms), not a hole`);
    await ui.screenshot('device');
  });

  test('live charts start full; axes fit their labels; the cursor reads time, value and unit', async () => {
    // A fresh device page: its live window is drawn first with the stored minutes, not empty.
    await ui.page.goto(`${base()}#/`);
    await ui.page.waitForSelector('[data-test=device-table]');
    const openedAtMs = Date.now();
    await ui.page.click(`a[href="#/devices/${prefix}-2"]`);
    await ui.page.waitForSelector('[data-chart] figure[data-first-draw-points]', { timeout: 15_000 });
    const charts = (await ui.page.evaluate(chartFacts)) as ChartFacts[];
    assert.ok(charts.length >= 3, `${charts.length} live charts`);
    for (const c of charts) {
      assert.ok(c.firstDrawPoints >= 5, `${c.field}: ${c.firstDrawPoints} points on the first paint`);
      assert.ok(c.firstX * 1000 < openedAtMs - 2000, `${c.field}: the window starts before the page opened`);
      assert.ok(Math.abs(c.xMax - c.xMin - 300) < 2, `${c.field}: a 5 minute window (${c.xMax - c.xMin} s)`);
      assert.ok(c.ySize >= c.yWidestPx + 10, `${c.field}: y axis ${c.ySize} px holds its widest label (${c.yWidestPx} px): ${c.yValues.join(' ')}`);
      const ticks = c.yValues.map((v) => Number(v.replace(/,/g, ''))).filter((n) => Number.isFinite(n));
      if (c.kind !== 'state') {
        assert.ok(ticks.length >= 2, `${c.field}: numeric ticks ${c.yValues.join(' ')}`);
        assert.ok(Math.min(...ticks) <= c.dataMax && Math.max(...ticks) >= c.dataMin, `${c.field}: ticks ${ticks.join(' ')} span the data ${c.dataMin}..${c.dataMax}`);
      } else assert.deepEqual(c.yValues, ['off', 'on']);
      assert.ok(c.xValues.length * c.xWidestPx <= c.plotWidthPx, `${c.field}: ${c.xValues.length} time labels of ${c.xWidestPx} px fit in ${c.plotWidthPx} px: ${c.xValues.join(' ')}`);
      for (const v of c.xValues) assert.match(v, /^(\w{3} \d{1,2} )?\d{2}:\d{2}(:\d{2})?$/, `${c.field}: time label ${v}`);
    }
    // The cursor: time, value and unit in the legend.
    const chart = ui.page.locator('[data-chart] .u-over').first();
    const box = (await chart.boundingBox())!;
    await ui.page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
    const legend = await waitForText(ui.page, '[data-chart] .u-legend >> nth=0', /\d{2}:\d{2}:\d{2}[\s\S]*\d/);
    const first = charts[0]!;
    if (first.unit) assert.ok(legend.includes(first.unit), `legend ${legend} shows the unit ${first.unit}`);
    await ui.screenshots('device');
  });

  test('history shows exactly the chosen range', async () => {
    const status = ui.page.locator('[data-test=history-status]');
    for (const [range, spanS] of [['day', 86_400], ['week', 7 * 86_400], ['hour', 3600]] as const) {
      await ui.page.check(`[data-range=${range}]`);
      await waitFor(async () => (await status.getAttribute('data-state')) === 'done' && (await status.textContent())?.includes('stored'), 15_000, `${range} loaded`);
      const x = await waitFor(async () => {
        const r = (await ui.page.evaluate("(() => { const u = document.querySelector('[data-chart-history] .plot').uplot; return { min: u.scales.x.min, max: u.scales.x.max }; })()")) as { min: number; max: number };
        return Math.abs(r.max - r.min - spanS) < 30 ? r : null;
      }, 10_000, `the x axis to span the last ${range}`);
      assert.ok(Math.abs(x.max - Date.now() / 1000) < 30, `${range} ends now`);
    }
    await ui.page.check('[data-range=custom]');
    const from = ui.page.locator('[data-test=custom-range] input[name=from]');
    assert.notEqual(await from.inputValue(), '', 'the custom range starts filled in');
    const to = await ui.page.locator('[data-test=custom-range] input[name=to]').inputValue();
    await from.fill(to.replace(/T(\d{2})/, (_m, h: string) => `T${String((Number(h) + 1) % 24).padStart(2, '0')}`));
    await ui.page.click('[data-test=custom-range] button[type=submit]');
    await waitForText(ui.page, '[data-test=custom-error]', /before the end/);
    await ui.page.check('[data-range=hour]');
  });

  test('commands: replies matched to their request with round-trip time; errors look like errors; reboot asks first', async () => {
    await ui.page.selectOption('[data-test=command-kind]', 'ping');
    await ui.page.click('[data-test=send-command]');
    await ui.page.waitForSelector('[data-test=replies] li[data-command=ping][data-state=ok] [data-test=rtt]');
    assert.match((await ui.page.textContent('[data-test=replies] li[data-command=ping] [data-test=rtt]')) ?? '', /^\d+ ms$/);

    await ui.page.selectOption('[data-test=command-kind]', 'custom');
    await ui.page.fill('[data-test=custom-name]', 'self-destruct');
    await ui.page.click('[data-test=send-command]');
    await ui.page.waitForSelector('[data-test=replies] li[data-command=self-destruct][data-state=error]');
    assert.match((await ui.page.textContent('[data-test=replies] li[data-command=self-destruct]')) ?? '', /unknown command/);

    await ui.page.selectOption('[data-test=command-kind]', 'reboot');
    await ui.page.click('[data-test=send-command]');
    await ui.page.waitForSelector('[data-test=confirm]');
    await ui.page.click('[data-test=confirm-no]');
    assert.equal(await ui.page.locator('[data-test=replies] li[data-command=reboot]').count(), 0, 'cancelled: nothing sent');
    await ui.page.click('[data-test=send-command]');
    await ui.page.click('[data-test=confirm-yes]');
    await ui.page.waitForSelector('[data-test=replies] li[data-command=reboot][data-state=ok]');
    await ui.screenshots('device-commands');
  });

  test('an unknown device id says so', async () => {
    await ui.page.goto(`${base()}#/devices/no-such-device`);
    await waitForText(ui.page, '[data-test=unknown-device]', /No device .no-such-device. is known/);
    assert.equal(await ui.page.locator('[data-chart]').count(), 0);
    await ui.screenshots('unknown-device');
  });

  test('phone-sized, dark theme, reachable from the keyboard', async () => {
    await ui.page.setViewportSize({ width: 390, height: 844 });
    await ui.page.goto(`${base()}#/`);
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
    await waitForText(ui.page, '[data-stat="msg/s in"] .value', /^[1-9][\d.,]*$/, 20_000);
    // The charts hold what was collected since login, not only since the page opened.
    const points = Number(await ui.page.getAttribute('[data-broker-chart=messagesIn] figure', 'data-first-draw-points'));
    assert.ok(points >= 2, `${points} msg/s samples on the first paint of the broker page`);
    const sys = (await ui.page.textContent('[data-test=sys]')) ?? '';
    assert.doesNotMatch(sys, /uptime\s*\d+$/m, 'uptime in human units');
    await ui.screenshots('broker');
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
    await ui.page.waitForSelector('[data-test=bridge-preview][data-rule=telemetry]');
    assert.match((await ui.page.textContent('[data-test=bridge-preview]')) ?? '', /measurement\s*telemetry/);
    await ui.page.locator('[data-chart-field]').first().click();
    await ui.page.waitForSelector('[data-test=explorer-chart] canvas');
    await ui.screenshots('explorer');
  });

  test('a malformed token says it is malformed', async () => {
    await ui.page.click('[data-test=logout]');
    await loginWithToken(ui.page, 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2aWV3ZXIi');
    await waitForText(ui.page, '[data-test=login-error]', /not a token/);
    await ui.screenshots('login-malformed-token');
    await ui.page.fill('textarea[name=token]', '');
    await ui.page.check('input[type=radio][value=password]');
    await loginWithPassword(ui.page, 'admin', adminPassword);
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
      // Commands without WebSocket: POST /api/publish, the reply back over the same fallback.
      await ui.page.click(`a[href="#/devices/${live}-1"]`);
      await waitForText(ui.page, '[data-test=device-status]', /^online$/);
      await ui.page.selectOption('[data-test=command-kind]', 'ping');
      await ui.page.click('[data-test=send-command]');
      await ui.page.waitForSelector('[data-test=replies] li[data-command=ping][data-state=ok] [data-test=rtt]', { timeout: 15_000 });
      await ui.screenshots(`device-${live}`);
      assert.deepEqual(ui.errors, []);
    });
  }
});
