// The broker page opens with the broker's last hour already drawn: samples the broker took before
// anyone logged in (GET /api/broker-history), then the live ones, in human units.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrokerHistoryResponse } from '../../broker/src/contract/index.ts';
import { waitFor } from '../support/net.ts';
import { adminPassword, loginWithPassword, openConsole, signToken, startBroker, startSimulator } from './console-harness.ts';

/** what each broker chart drew first, read in the page */
const brokerCharts = `(() => [...document.querySelectorAll('[data-broker-chart]')].map((panel) => {
  const u = panel.querySelector('.plot').uplot;
  return { kind: panel.dataset.brokerChart, firstDrawPoints: Number(panel.querySelector('figure').dataset.firstDrawPoints), firstX: u.data[0][0], yValues: u.axes[1]._values || [], values: u.data[1].filter((v) => v != null) };
}))()`;

test('broker page: connections and msg/s in and out start with the samples taken before the page opened', async (t) => {
  const server = await startBroker(t, { console: { brokerHistoryIntervalMs: 500 } });
  startSimulator(t, server.wsUrl, { devices: 3, interval: '250ms', prefix: 'hist' });
  const admin = await signToken({ sub: 'root', role: 'admin' });
  await waitFor(async () => {
    const h = (await (await fetch(`${server.httpUrl}/api/broker-history`, { headers: { authorization: `Bearer ${admin}` } })).json()) as BrokerHistoryResponse;
    return h.t.length >= 8 && h.messagesIn.slice(-4).every((r) => r > 0);
  }, 30_000, 'eight samples with traffic');

  const ui = await openConsole(t, server.httpUrl);
  const openedAtMs = Date.now();
  await loginWithPassword(ui.page, 'admin', adminPassword);
  await ui.page.goto(`${server.httpUrl}/#/broker`);
  const charts = await waitFor(async () => {
    const c = (await ui.page.evaluate(brokerCharts)) as Array<{ kind: string; firstDrawPoints: number; firstX: number; yValues: string[]; values: number[] }>;
    return c.length === 3 && c.every((x) => x.values.length >= 8) ? c : null;
  }, 15_000, 'three charts with the history drawn');
  for (const c of charts) {
    assert.ok(c.firstX * 1000 < openedAtMs - 3000, `${c.kind}: the chart starts before the page opened`);
    assert.ok(c.yValues.length >= 2, `${c.kind}: y ticks ${c.yValues.join(' ')}`);
  }
  const byKind = Object.fromEntries(charts.map((c) => [c.kind, c]));
  assert.ok(byKind.connections!.values.some((v) => v >= 3), 'the simulator connections');
  assert.ok(byKind.messagesIn!.values.some((v) => v >= 5), `messages in ${byKind.messagesIn!.values.join(' ')}`);
  await ui.screenshots('broker-history');
  assert.deepEqual(ui.errors, []);
});
