// mqtts and wss with a self-signed pair made by openssl for this test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../../../test/support/app.ts';
import { mosquittoPub } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';
import { createTempDir, type TempDir } from '../../../test/support/temp-dir.ts';

function selfSignedPair(): { dir: TempDir; certFile: string; keyFile: string } {
  const temp = createTempDir('telemq-tls-');
  const dir = temp.path;
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { dir: temp, certFile, keyFile };
}

test('mqtts and wss carry messages when a cert and key are configured', async (t) => {
  const pair = selfSignedPair();
  t.after(() => pair.dir.remove());
  const server = await startTestApp({ auth: { mode: 'none' }, transport: { tls: { certFile: pair.certFile, keyFile: pair.keyFile } } });
  t.after(() => server.close());
  assert.ok(server.ports.mqtts, 'an mqtts port is bound');
  const ca = readFileSync(pair.certFile);

  const wss = await mqtt.connectAsync(`wss://127.0.0.1:${server.ports.http}/mqtt`, { clientId: 'wss-client', reconnectPeriod: 0, ca, rejectUnauthorized: true });
  t.after(() => wss.endAsync());
  const received: string[] = [];
  wss.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
  await wss.subscribeAsync('tls/#', { qos: 1 });

  // mosquitto_pub over mqtts, verifying the server certificate against our CA
  await mosquittoPub({ port: server.ports.mqtts, extra: ['--cafile', pair.certFile] }, 'tls/a', 'over-mqtts', { qos: 1 });
  await waitFor(() => received.includes('tls/a over-mqtts'), 5000, 'mqtts message over wss');

  const mqtts = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.ports.mqtts}`, { clientId: 'mqtts-client', reconnectPeriod: 0, ca });
  t.after(() => mqtts.endAsync());
  await mqtts.publishAsync('tls/b', 'from-mqttjs', { qos: 1 });
  await waitFor(() => received.includes('tls/b from-mqttjs'), 5000, 'MQTT.js mqtts message over wss');

  // the HTTP side is HTTPS too
  const health = await fetch(`https://127.0.0.1:${server.ports.http}/healthz`).catch((err: Error) => err);
  assert.ok(health instanceof Error, 'plain fetch refuses the self-signed certificate, so the port speaks TLS');
});

test('without a cert there is no mqtts listener', async (t) => {
  const server = await startTestApp({ auth: { mode: 'none' } });
  t.after(() => server.close());
  assert.equal(server.ports.mqtts, null);
});
