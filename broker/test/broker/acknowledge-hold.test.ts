// A held acknowledgement (acknowledged = stored) delays only its own publisher's PUBACK / PUBREC:
// the message reaches subscribers at once, and other publishers are acknowledged meanwhile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';

for (const qos of [1, 2] as const) {
  test(`QoS ${qos}: a held publish is routed at once; its acknowledgement waits for the release, nobody else's does`, async (t) => {
    const server = await startTestApp({ auth: { mode: 'none' } }); // holds on (bridge.acknowledgeWhenDurable)
    t.after(() => server.close());
    const releases: Array<() => void> = [];
    server.app.broker.events.on('clientPublish', (message, _client, hold) => {
      if (message.topic === 'held/topic' && hold) releases.push(hold.take());
    });

    const subscriber = await mqtt.connectAsync(server.mqttUrl, { clientId: `sub-${qos}`, reconnectPeriod: 0 });
    t.after(() => subscriber.endAsync());
    const received: string[] = [];
    subscriber.on('message', (topic) => received.push(topic));
    await subscriber.subscribeAsync(['held/topic', 'free/topic'], { qos: 1 });

    const held = await mqtt.connectAsync(server.mqttUrl, { clientId: `held-${qos}`, reconnectPeriod: 0 });
    t.after(() => held.endAsync(true));
    let acknowledged = false;
    const publishing = held.publishAsync('held/topic', 'x', { qos }).then(() => (acknowledged = true));
    await waitFor(() => received.includes('held/topic'), 5000, 'the held message delivered');
    assert.equal(releases.length, 1);

    const other = await mqtt.connectAsync(server.mqttUrl, { clientId: `other-${qos}`, reconnectPeriod: 0 });
    t.after(() => other.endAsync());
    await other.publishAsync('free/topic', 'y', { qos }); // acknowledged while the first is held
    await waitFor(() => received.includes('free/topic'), 5000, 'the other message delivered');
    assert.equal(acknowledged, false, 'the held publish is not acknowledged yet');

    releases[0]!();
    await publishing;
    assert.equal(acknowledged, true);
    assert.deepEqual(received.filter((topic) => topic === 'held/topic'), ['held/topic'], 'routed once');
  });
}
