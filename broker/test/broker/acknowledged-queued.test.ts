// A QoS 1 PUBACK means the message is in the queue of every offline persistent session it is for:
// aedes 1.2 would write it before routing, so a kill -9 in between lost an acknowledged message.
// The broker here runs without the bridge's holds, over a memory persistence whose queueing waits.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { createMqttBroker } from '../../src/broker/mqtt-broker.ts';
import { createMemoryPersistence } from '../../src/broker/retained-index.ts';
import { createBrokerStats } from '../../src/broker/stats.ts';
import { openHooks } from '../../src/broker/types.ts';
import { createLogger } from '../../src/logger.ts';
import { waitFor } from '../../../test/support/net.ts';

type Enqueue = (subs: Array<{ clientId: string }>, packet: { topic: string }) => Promise<void>;

test('a QoS 1 PUBACK waits until the message is queued for an offline persistent session', async (t) => {
  const persistence = createMemoryPersistence() as { outgoingEnqueueCombi: Enqueue };
  const enqueue = persistence.outgoingEnqueueCombi.bind(persistence);
  let release: (() => void) | null = null;
  persistence.outgoingEnqueueCombi = async (subs, packet) => {
    if (packet.topic === 'commands/slow' && subs.length > 0) await new Promise<void>((resolve) => (release = resolve));
    return enqueue(subs, packet);
  };
  const limits = { maxClientQueueBytes: 1 << 20, maxClientInflight: 100, maxClientQueuedQos1Bytes: 1 << 20, stalledClientTimeoutMs: 60_000 };
  const broker = await createMqttBroker({ hooks: openHooks, log: createLogger('silent'), keepaliveLimitSec: 60, stats: createBrokerStats(), limits, persistence });
  const server = net.createServer((socket) => broker.handle(socket, { transport: 'tcp', remoteAddress: '127.0.0.1' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await broker.disconnectClients(1000);
    await new Promise((resolve) => server.close(resolve));
    await broker.close();
  });
  const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

  const backend = await mqtt.connectAsync(url, { clientId: 'backend', clean: false, reconnectPeriod: 0 });
  await backend.subscribeAsync('commands/#', { qos: 1 });
  await backend.endAsync();

  const publisher = await mqtt.connectAsync(url, { clientId: 'console', reconnectPeriod: 0 });
  t.after(() => publisher.endAsync(true));
  let acknowledged = false;
  const publishing = publisher.publishAsync('commands/slow', 'reboot', { qos: 1 }).then(() => (acknowledged = true));
  await waitFor(() => release !== null, 5000, 'the message being queued');
  // a marker: another client's publish, acknowledged after the first one's queueing began
  const other = await mqtt.connectAsync(url, { clientId: 'other', reconnectPeriod: 0 });
  t.after(() => other.endAsync(true));
  await other.publishAsync('telemetry/x', 'marker', { qos: 1 });
  assert.equal(acknowledged, false, 'not acknowledged while it is not queued');

  release!();
  await publishing;
  assert.equal(acknowledged, true);
  // listening before the CONNACK: the queued message may come in the same read
  const back = mqtt.connect(url, { clientId: 'backend', clean: false, reconnectPeriod: 0 });
  t.after(() => back.endAsync(true));
  const received = await new Promise<string>((resolve) => back.once('message', (_topic, payload) => resolve(payload.toString())));
  assert.equal(received, 'reboot', 'the queued message reaches the session');
});
