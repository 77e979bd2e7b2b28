// Sessions survive the broker process ending, by SIGTERM and by kill -9: the broker (main.ts) runs
// as a child process on one data folder, restarted on it; MQTT.js and mosquitto clients talk to it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startBrokerProcess, type BrokerProcess } from '../../../../test/support/broker-process.ts';
import { mosquittoSub } from '../../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../../test/support/net.ts';
import { tempDirFor } from '../../../../test/support/temp-dir.ts';

const queued = 1000;

/** `onMessage` is attached before the CONNACK: queued messages may come in the same read as it. */
async function connect(url: string, options: IClientOptions, onMessage?: (topic: string, payload: Buffer) => void): Promise<{ client: MqttClient; sessionPresent: boolean }> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, ...options });
  if (onMessage) client.on('message', onMessage);
  const sessionPresent = await new Promise<boolean>((resolve, reject) => {
    client.once('connect', (connack) => resolve(connack.sessionPresent));
    client.once('error', reject);
  });
  return { client, sessionPresent };
}

async function end(broker: BrokerProcess, how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (how === 'SIGTERM') {
    assert.equal(await broker.stop(), 0, 'clean exit on SIGTERM');
    return;
  }
  broker.child.kill('SIGKILL');
  assert.equal(await broker.exited, 'SIGKILL');
}

for (const how of ['SIGTERM', 'SIGKILL'] as const) {
  test(`${how}: ${queued} QoS 1 messages queued for an offline persistent session arrive in order after the restart, with Session Present 1; retained messages and wills survive`, { timeout: 120_000 }, async (t) => {
    const dataDir = tempDirFor(t, 'telemq-restart-');
    const env = { TELEMQ_DATA_DIR: dataDir };
    // Without the bridge, whose holds would delay PUBACKs for their own reason: a PUBACK alone must
    // mean the message is in the offline session's queue.
    const config = { bridge: { enabled: false } };
    const first = await startBrokerProcess(env, { config });
    t.after(() => first.child.kill('SIGKILL'));

    // a backend's persistent session, subscribed and then away
    const away = await connect(first.mqttUrl, { clientId: 'backend-1', clean: false });
    assert.equal(away.sessionPresent, false);
    await away.client.subscribeAsync('devices/+/commands/#', { qos: 1 });
    await away.client.endAsync();

    // a device with a will, connected when the broker ends
    const device = await connect(first.mqttUrl, { clientId: 'dev-will', will: { topic: 'devices/dev-will/status', payload: Buffer.from('offline'), qos: 1, retain: true } });
    device.client.on('error', () => {});
    await device.client.publishAsync('devices/dev-will/status', 'online', { qos: 1, retain: true });

    const publisher = (await connect(first.mqttUrl, { clientId: 'console-1' })).client;
    await publisher.publishAsync('devices/d1/status', 'online', { qos: 1, retain: true });
    await Promise.all(Array.from({ length: queued }, (_, i) => publisher.publishAsync('devices/d1/commands/set', String(i), { qos: 1 })));
    // the broker ends right after the last PUBACK: each acknowledged message is queued and committed
    await publisher.publishAsync('devices/d1/commands/set', 'marker', { qos: 1 });
    await end(first, how);
    publisher.end(true);
    device.client.end(true);

    const second = await startBrokerProcess(env, { config });
    t.after(() => second.stop());
    const statuses = await mosquittoSub({ port: second.ports.mqtt }, 'devices/+/status', { qos: 1 });
    t.after(() => statuses.stop());
    const received: string[] = [];
    const back = await connect(second.mqttUrl, { clientId: 'backend-1', clean: false }, (_topic, payload) => received.push(payload.toString()));
    t.after(() => back.client.end(true));
    assert.equal(back.sessionPresent, true, '[MQTT-3.2.2-2] the session stored before the restart is resumed');
    await waitFor(() => received.includes('marker'), 30_000, 'the queued messages up to the marker');
    assert.deepEqual(received, [...Array.from({ length: queued }, (_, i) => String(i)), 'marker'], 'every queued message, once, in order');

    // retained: the device status published before the end; the will: published when its connection
    // ended (SIGTERM closes it; after kill -9 the restarted broker publishes the wills it finds stored)
    await waitFor(() => statuses.lines.includes('devices/d1/status online') && statuses.lines.includes('devices/dev-will/status offline'), 10_000, 'retained status and will');
  });
}
