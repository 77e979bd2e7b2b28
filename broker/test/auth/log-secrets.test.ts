// No secret, password or token ever appears in a log line, at debug level, whatever path it took.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { startTestApp } from '../../../test/support/app.ts';
import { mosquittoPub } from '../../../test/support/mosquitto-clients.ts';
import { adminPassword, connackCode, connect, securedConfig, signToken, testSecret } from './helpers.ts';

test('no secret or password in any log line', async (t) => {
  const server = await startTestApp(securedConfig({ guards: { failedAuthPerIpPerMin: 5 } }));
  t.after(() => server.close());
  const wrongPassword = 'hunter2-wrong-password';
  const goodToken = await signToken({ sub: 'd1', role: 'device' });
  const forgedToken = await signToken({ sub: 'd1', role: 'device' }, { secret: 'forged-secret-0123456789-abcdefghijk' });
  const login = (password: string) => fetch(`${server.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });

  const loginToken = ((await (await login(adminPassword)).json()) as { token: string }).token;
  const device = await connect(server.mqttUrl, { clientId: 'd1', password: goodToken });
  await device.publishAsync('devices/d2/telemetry', 'x', { qos: 1 });
  await device.endAsync(true);
  await login(wrongPassword);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'admin-1', username: 'admin', password: wrongPassword }), 4);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'd1', password: forgedToken }), 4);
  assert.equal(await connackCode(server.mqttUrl, { clientId: 'd2', password: goodToken }), 5);
  assert.equal(await connackCode(server.wsUrl, { clientId: 'admin-2', password: loginToken }), 0);
  assert.equal(await connackCode(`${server.wsUrl}?token=${goodToken}`, { clientId: 'd1' }), 0);
  await new Promise<void>((resolve) => {
    const ws = new WebSocket(server.wsUrl, ['mqtt', forgedToken]);
    ws.on('unexpected-response', () => resolve());
    ws.on('error', () => resolve());
  });
  await assert.rejects(mosquittoPub({ port: server.ports.mqtt, clientId: 'x1', username: 'admin', password: wrongPassword }, 'a/b', 'x'));
  // rate-limited attempts log too
  for (let i = 0; i < 6; i++) await login(wrongPassword);

  const text = server.logText();
  assert.ok(text.length > 0 && text.includes('refused'), 'the log was captured');
  for (const [name, value] of Object.entries({ testSecret, adminPassword, wrongPassword, goodToken, forgedToken, loginToken })) {
    assert.ok(!text.includes(value), `${name} appears in the log`);
    // nor the signature part alone (a token cut in a message)
    if (value.split('.').length === 3) assert.ok(!text.includes(value.split('.')[2]!), `${name} signature appears in the log`);
  }
});
