// MQTT 3.1.1 rules aedes gets wrong, fixed in telemq's layer; raw frames over TCP, clause cited.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { sleep, waitFor } from '../../../test/support/net.ts';
import { connectPacket, connectRaw } from '../../../test/support/raw-mqtt.ts';

let server: TestApp;
test.before(async () => {
  server = await startTestApp({ auth: { mode: 'none' } });
});
test.after(() => server.close());

test('[MQTT-3.1.3-8] an empty client id with CleanSession 0 gets CONNACK 0x02, then the close', async (t) => {
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  // CONNECT level 4, flags 0 (CleanSession 0), keepalive 60, zero-byte client id (mqtt-packet refuses to build it)
  raw.sendBytes(Buffer.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x00, 0, 60, 0, 0]));
  const connack = await raw.next('connack');
  assert.equal((connack as { returnCode: number }).returnCode, 2);
  await raw.closed;
});

test('[MQTT-3.1.3-7] an empty client id with CleanSession 1 is accepted', async (t) => {
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  raw.send(connectPacket({ clientId: '', clean: true }));
  const connack = await raw.next('connack');
  assert.equal((connack as { returnCode: number }).returnCode, 0);
});

test('[MQTT-3.1.2-2] an unsupported protocol level gets CONNACK 0x01, then the close', async (t) => {
  for (const level of [2, 5, 6]) {
    const raw = await connectRaw(server.ports.mqtt);
    t.after(() => raw.destroy());
    // CONNECT, remaining length 12: "MQTT", the level, flags (clean), keepalive 60, empty client id
    raw.sendBytes(Buffer.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, level, 0x02, 0, 60, 0, 0]));
    const connack = await raw.next('connack');
    assert.equal((connack as { returnCode: number }).returnCode, 1, `level ${level}`);
    await raw.closed;
  }
});

test('[MQTT-3.1.2-2] the header split over several TCP segments is still judged', async (t) => {
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  const bytes = Buffer.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, 0]);
  for (const b of bytes) {
    raw.sendBytes(Buffer.from([b]));
    await sleep(5);
  }
  const connack = await raw.next('connack');
  assert.equal((connack as { returnCode: number }).returnCode, 0);
});

test('[MQTT-3.2.2-2] a resumed session is reported with Session Present 1', async (t) => {
  const first = await connectRaw(server.ports.mqtt);
  t.after(() => first.destroy());
  first.send(connectPacket({ clientId: 'resume-me', clean: false }));
  const connack1 = (await first.next('connack')) as { sessionPresent: boolean };
  assert.equal(connack1.sessionPresent, false, '[MQTT-3.2.2-3] no session stored yet');
  first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'resume/#', qos: 1 }] });
  await first.next('suback');
  first.send({ cmd: 'disconnect' });
  await first.closed;

  const second = await connectRaw(server.ports.mqtt);
  t.after(() => second.destroy());
  second.send(connectPacket({ clientId: 'resume-me', clean: false }));
  const connack2 = (await second.next('connack')) as { sessionPresent: boolean };
  assert.equal(connack2.sessionPresent, true);
  second.send({ cmd: 'disconnect' });
  await second.closed;

  const third = await connectRaw(server.ports.mqtt);
  t.after(() => third.destroy());
  third.send(connectPacket({ clientId: 'resume-me', clean: true }));
  const connack3 = (await third.next('connack')) as { sessionPresent: boolean };
  assert.equal(connack3.sessionPresent, false, '[MQTT-3.2.2-1] clean session');
});

test('[MQTT-3.2.2-2] a stored session without subscriptions is still present', async (t) => {
  for (const expected of [false, true]) {
    const raw = await connectRaw(server.ports.mqtt);
    t.after(() => raw.destroy());
    raw.send(connectPacket({ clientId: 'bare-session', clean: false }));
    const connack = (await raw.next('connack')) as { sessionPresent: boolean };
    assert.equal(connack.sessionPresent, expected);
    raw.send({ cmd: 'disconnect' });
    await raw.closed;
  }
});

test('[MQTT-3.10.3-2] an UNSUBSCRIBE without topic filters closes the connection, no UNSUBACK', async (t) => {
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  raw.send(connectPacket({ clientId: 'unsub-empty' }));
  await raw.next('connack');
  // UNSUBSCRIBE (0xA2), remaining length 2: the packet id only
  raw.sendBytes(Buffer.from([0xa2, 0x02, 0x00, 0x07]));
  await raw.closed;
  assert.equal(raw.packets.filter((p) => p.cmd === 'unsuback').length, 0);
});

test('[MQTT-3.10.4-4] an UNSUBSCRIBE with a filter still gets its UNSUBACK', async (t) => {
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  raw.send(connectPacket({ clientId: 'unsub-ok' }));
  await raw.next('connack');
  raw.send({ cmd: 'unsubscribe', messageId: 9, unsubscriptions: ['a/b'] });
  const unsuback = (await raw.next('unsuback')) as { messageId: number };
  assert.equal(unsuback.messageId, 9);
});

test('[MQTT-4.7.2-1] a client cannot publish to $SYS', async (t) => {
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  raw.send(connectPacket({ clientId: 'sys-listener' }));
  await raw.next('connack');
  raw.send({
    cmd: 'subscribe',
    messageId: 1,
    subscriptions: [
      { topic: `$SYS/${server.app.broker.id}/fake`, qos: 0 },
      { topic: 'marker', qos: 0 },
    ],
  });
  await raw.next('suback');
  const publisher = await connectRaw(server.ports.mqtt);
  t.after(() => publisher.destroy());
  publisher.send(connectPacket({ clientId: 'sys-writer' }));
  await publisher.next('connack');
  publisher.send({ cmd: 'publish', topic: `$SYS/${server.app.broker.id}/fake`, payload: 'x', qos: 0 });
  // the marker is routed after the $SYS publish would have been: once it is here, that one never will be
  publisher.send({ cmd: 'publish', topic: 'marker', payload: 'm', qos: 0 });
  await waitFor(() => raw.packets.some((p) => p.cmd === 'publish' && p.topic === 'marker'), 10_000, 'the marker');
  assert.deepEqual(
    raw.packets.filter((p) => p.cmd === 'publish').map((p) => (p as { topic: string }).topic),
    ['marker'],
  );
});

test('[MQTT-3.1.0-1] a first packet other than CONNECT closes the connection', async (t) => {
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  raw.send({ cmd: 'pingreq' });
  await raw.closed;
  assert.equal(raw.packets.length, 0);
});

test('[MQTT-3.1.0-2] a second CONNECT closes the connection', async (t) => {
  const raw = await connectRaw(server.ports.mqtt);
  t.after(() => raw.destroy());
  raw.send(connectPacket({ clientId: 'twice' }));
  await raw.next('connack');
  raw.send(connectPacket({ clientId: 'twice' }));
  await raw.closed;
});
