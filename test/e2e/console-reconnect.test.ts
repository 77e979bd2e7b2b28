// The broker goes away under an open console: the banner counts down to the next attempt
// (backoff with jitter), and the console recovers on its own when the broker is back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminPassword, loginWithPassword, openConsole, startBroker, startSimulator, waitForText } from './console-harness.ts';
import { tempDirFor } from '../support/temp-dir.ts';

test('the broker is stopped: the banner shows reconnecting, then connected when it is back', async (t) => {
  const dataDir = tempDirFor(t, 'telemq-e2e-');
  const first = await startBroker(t, {}, { dataDir });
  const httpPort = first.ports.http;
  startSimulator(t, first.wsUrl, { devices: 2, interval: '1s', prefix: 'rc' });
  const ui = await openConsole(t, first.httpUrl);
  await loginWithPassword(ui.page, 'admin', adminPassword);
  await waitForText(ui.page, '[data-test=connection]', /^\s*connected/);
  await waitForText(ui.page, '[data-test=online-count]', /^2 online$/, 30_000);

  await first.close();
  const banner = await waitForText(ui.page, '[data-test=connection]', /reconnecting in \d+ s/, 20_000);
  assert.match(banner, /attempt \d+/);
  await ui.screenshot('reconnecting');

  const second = await startBroker(t, { transport: { httpPort } }, { dataDir });
  assert.equal(second.ports.http, httpPort);
  await waitForText(ui.page, '[data-test=connection]', /^\s*connected/, 40_000);
  // Live data flows again over the new connection (subscriptions restored).
  await waitForText(ui.page, '[data-test=online-count]', /^2 online$/, 40_000);
  await ui.screenshot('reconnected');

  // A browser logs each refused WebSocket handshake itself, and each refused connection of the
  // console's /api/devices probe (which tells a dead token from a dead broker) while the broker is
  // down on purpose; anything else is ours.
  const ours = ui.errors.filter((e) => !/WebSocket connection to .* failed|net::ERR_CONNECTION_REFUSED/.test(e));
  assert.deepEqual(ours, []);
});
