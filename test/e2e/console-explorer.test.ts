// The explorer's topic tree and publish pane against the real broker and simulator: counts and
// last values (in the configured units) per topic level; publishing over MQTT on WebSocket and over
// POST /api/publish on SSE, with the broker's reason shown when it refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { waitFor } from '../support/net.ts';
import { adminPassword, loginWithPassword, loginWithToken, openConsole, signToken, startBroker, startSimulator, waitForText } from './console-harness.ts';

const row = (topic: string) => `[data-test=topic-tree] li[data-topic="${topic}"]`;
const countOf = async (page: Page, topic: string) => Number(await page.getAttribute(row(topic), 'data-count'));

async function publish(page: Page, draft: { topic: string; payload: string; qos?: 0 | 1; retain?: boolean }): Promise<void> {
  await page.fill('[data-test=publish-form] input[name=topic]', draft.topic);
  await page.fill('[data-test=publish-form] textarea[name=payload]', draft.payload);
  await page.selectOption('[data-test=publish-form] select[name=qos]', String(draft.qos ?? 0));
  await page.setChecked('[data-test=publish-form] input[name=retain]', draft.retain ?? false);
  await page.click('[data-test=publish]');
}

test('explorer: a topic tree with counts and formatted last values; publishing over MQTT and over HTTP, refusals with their reason', async (t) => {
  // A rule of this broker's own, beside the default: the preview must use what the broker runs.
  const labRule = { name: 'lab-notes', topic: 'lab/+/note', measurement: 'lab', tags: { bench: 1 } };
  const server = await startBroker(t, { bridge: { rules: [{ name: 'telemetry', topic: 'devices/+/telemetry', tags: { device_id: 1 } }, labRule] } });
  startSimulator(t, server.wsUrl, { devices: 2, interval: '500ms', prefix: 'tree' });
  const ui = await openConsole(t, server.httpUrl);
  const { page } = ui;
  await loginWithPassword(page, 'admin', adminPassword);
  await waitForText(page, '[data-test=connection]', /^\s*connected\s*$/);
  await page.goto(`${server.httpUrl}/#/explorer`);
  await page.fill('[data-test=filter]', '#');
  await page.click('[data-test=subscribe]');
  await page.waitForSelector('[data-filter="#"][data-status=granted]');

  // Levels open one by one; counts grow at every level; the leaf shows its last value with units.
  await page.waitForSelector(row('devices'));
  await page.click(`${row('devices')} .twist`);
  await page.waitForSelector(row('devices/tree-1'));
  await page.click(`${row('devices/tree-1')} .twist`);
  const leaf = row('devices/tree-1/telemetry');
  await page.waitForSelector(leaf);
  const first = await countOf(page, 'devices/tree-1/telemetry');
  await waitFor(async () => (await countOf(page, 'devices/tree-1/telemetry')) > first, 10_000, 'the telemetry count to grow');
  assert.ok((await countOf(page, 'devices')) >= (await countOf(page, 'devices/tree-1')) + (await countOf(page, 'devices/tree-2')), 'a level counts what is below it');
  const last = (await page.textContent(`${leaf} [data-test=last-value]`)) ?? '';
  assert.match(last, /\w+ -?[\d,]+(\.\d+)? ?(°C|%|°|km\/h|V|A|W|kWh)/, `last value in configured units: ${last}`);
  assert.doesNotMatch(last, /\{/, 'fields, not raw JSON');

  // Over MQTT: what is published appears in the tree (subscribed to #) with its payload.
  await publish(page, { topic: 'lab/bench/note', payload: '{"temperature": 21.456}', qos: 1, retain: true });
  await waitForText(page, '[data-test=publish-outcome][data-state=sent]', /over MQTT/);
  await page.waitForSelector(row('lab'));
  await page.click(`${row('lab')} .twist`);
  await page.click(`${row('lab/bench')} .twist`);
  await waitForText(page, `${row('lab/bench/note')} [data-test=last-value]`, /^temperature 21\.46 °C/);
  // The bridge preview: the broker's configured rule (GET /api/bridge-rules), fields in their units.
  await page.click('[data-test=messages] li button:has-text("lab/bench/note")');
  await page.waitForSelector('[data-test=bridge-preview][data-rule=lab-notes]');
  const preview = (await page.textContent('[data-test=bridge-preview]')) ?? '';
  assert.match(preview, /measurement\s*lab\s*tags\s*bench=bench/, preview);
  assert.match(preview, /temperature = 21\.46 °C/, preview);
  await publish(page, { topic: 'devices/tree-9/status', payload: 'offline' });
  await page.click('[data-test=messages] li button:has-text("devices/tree-9/status")');
  await waitForText(page, '[data-test=bridge-preview][data-reason=ignored]', /not telemetry/);
  // It went over MQTT: the API only checked it (a dry run), it published nothing itself.
  const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
  assert.match(metrics, /telemq_http_publishes_total\{result="checked"[^}]*\} [1-9]/);
  assert.doesNotMatch(metrics, /telemq_http_publishes_total\{result="published"[^}]*\} [1-9]/);
  // Refused by the topic grammar, with the reason.
  await publish(page, { topic: 'lab/+/note', payload: 'x' });
  await waitForText(page, '[data-test=publish-outcome][data-state=refused]', /must not contain \+ or #/);
  await ui.screenshots('explorer-tree');

  // A console user over MQTT: a topic its role may not publish to is refused with the reason,
  // though MQTT 3.1.1 itself would drop it silently.
  await page.click('[data-test=logout]');
  await loginWithToken(page, await signToken({ sub: 'viewer', role: 'console' }));
  await waitForText(page, '[data-test=connection]', /^\s*connected\s*$/);
  await page.goto(`${server.httpUrl}/#/explorer`);
  await publish(page, { topic: 'devices/tree-1/telemetry', payload: '{"temperature": -99}' });
  await waitForText(page, '[data-test=publish-outcome][data-state=refused]', /viewer may not publish to devices\/tree-1\/telemetry/);

  // The same user on SSE: publishing goes through POST /api/publish; a command reaches the device,
  // whose reply shows in the tree; a forbidden topic is refused with the broker's reason.
  await page.goto(`${server.httpUrl}/?live=sse#/explorer`);
  await waitForText(page, '[data-test=connection]', /connected \(sse\)/);
  await page.fill('[data-test=filter]', 'devices/tree-2/replies/#');
  await page.click('[data-test=subscribe]');
  await page.waitForSelector('[data-filter="devices/tree-2/replies/#"][data-status=granted]');
  await publish(page, { topic: 'devices/tree-2/commands/ping', payload: '{"id":"e2e-ping"}', qos: 1 });
  await waitForText(page, '[data-test=publish-outcome][data-state=sent]', /over HTTP/);
  await page.waitForSelector(row('devices'));
  await page.click(`${row('devices')} .twist`);
  await page.click(`${row('devices/tree-2')} .twist`);
  await page.click(`${row('devices/tree-2/replies')} .twist`);
  await waitForText(page, `${row('devices/tree-2/replies/ping')} [data-test=last-value]`, /e2e-ping/);
  await publish(page, { topic: 'devices/tree-1/telemetry', payload: '{}' });
  await waitForText(page, '[data-test=publish-outcome][data-state=refused]', /viewer may not publish/);
  await ui.screenshots('explorer-publish-sse');
  // The browser logs each refused request (one 400, two 403s); nothing else went wrong.
  const refusals = ui.errors.filter((e) => /status of (400|403)/.test(e));
  assert.equal(refusals.length, 3, ui.errors.join('\n'));
  assert.deepEqual(ui.errors.filter((e) => !refusals.includes(e)), []);
});
