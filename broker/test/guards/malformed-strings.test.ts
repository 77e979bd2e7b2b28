// U+0000 and malformed UTF-8 in any string of a packet close the connection, counted, and nothing
// of the packet is acknowledged or routed [MQTT-1.5.3-1, MQTT-1.5.3-2, MQTT-4.7.3-2]. Raw sockets
// write the bytes MQTT.js would never send; an MQTT.js subscriber on `#` shows what got routed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import WebSocket from 'ws';
import { startTestApp } from '../../../test/support/app.ts';
import { waitFor } from '../../../test/support/net.ts';
import { connectPacket, connectRaw } from '../../../test/support/raw-mqtt.ts';
import { connect, refusalCount, securedConfig, signToken } from '../auth/helpers.ts';

const frame = (packet: Record<string, unknown>) => mqttPacket.generate(packet as unknown as mqttPacket.Packet);

/** The frame with the bytes of `marker` replaced by `bytes` of the same length (the length fields stay right). */
function withBytes(buf: Buffer, marker: string, bytes: number[]): Buffer {
  const at = buf.indexOf(Buffer.from(marker));
  assert.ok(at > 0 && Buffer.byteLength(marker) === bytes.length);
  const out = Buffer.from(buf);
  Buffer.from(bytes).copy(out, at);
  return out;
}

// A lone continuation-less lead byte, an invalid byte, and an encoded surrogate (U+D800).
const badUtf8: Array<[string, string, number[]]> = [
  ['C3 28', 'XX', [0xc3, 0x28]],
  ['FF', 'X', [0xff]],
  ['ED A0 80 (surrogate)', 'XXX', [0xed, 0xa0, 0x80]],
];

test('NUL and malformed UTF-8 close the connection, counted', async (t) => {
  const server = await startTestApp(securedConfig());
  t.after(() => server.close());
  const password = Buffer.from(await signToken({ sub: 'root', role: 'admin' }));
  const watcher = await connect(server.mqttUrl, { clientId: 'watcher', password: password.toString() });
  t.after(() => watcher.endAsync(true));
  const seen: string[] = [];
  watcher.on('message', (topic) => seen.push(topic));
  await watcher.subscribeAsync('#', { qos: 1 });
  let markers = 0;
  /** publishes a marker and waits for it: what was routed before it has arrived too */
  const sync = async () => {
    const marker = `marker/${++markers}`;
    await watcher.publishAsync(marker, 'm', { qos: 1 });
    await waitFor(() => seen.includes(marker), 5000, marker);
  };

  /** a connected raw session, or the bare socket when `connectFrame` is refused */
  async function session(connectFrame = frame(connectPacket({ clientId: `raw-${Math.random()}`, username: 'root', password }))) {
    const raw = await connectRaw(server.ports.mqtt);
    raw.sendBytes(connectFrame);
    return raw;
  }
  async function assertClosedWithout(bytes: Buffer, answer: string, why: string) {
    const raw = await session();
    await raw.next('connack');
    raw.sendBytes(bytes);
    await raw.closed;
    assert.ok(!raw.packets.some((p) => p.cmd === answer), `${why}: no ${answer}`);
  }

  await t.test('PUBLISH: NUL in the topic [MQTT-4.7.3-2]', async () => {
    await assertClosedWithout(frame({ cmd: 'publish', topic: 'devices/a\u0000b/telemetry', payload: '1', qos: 1, messageId: 1 }), 'puback', 'NUL topic');
    await sync();
    assert.ok(!seen.some((topic) => topic.startsWith('devices/a')), 'not routed');
  });
  for (const [name, marker, bytes] of badUtf8) {
    await t.test(`PUBLISH: malformed UTF-8 in the topic (${name})`, async () => {
      await assertClosedWithout(withBytes(frame({ cmd: 'publish', topic: `bad/${marker}/t`, payload: '1', qos: 1, messageId: 1 }), marker, bytes), 'puback', name);
      await sync();
      assert.ok(!seen.some((topic) => topic.startsWith('bad/')), 'not routed, not even as U+FFFD');
    });
  }
  await t.test('PUBLISH: a real U+FFFD is well-formed and routed', async () => {
    const raw = await session();
    await raw.next('connack');
    raw.send({ cmd: 'publish', topic: 'ok/\uFFFD', payload: '1', qos: 1, messageId: 7 });
    await raw.next('puback');
    await waitFor(() => seen.includes('ok/\uFFFD'), 5000, 'the U+FFFD topic');
    raw.destroy();
  });
  await t.test('SUBSCRIBE: NUL or malformed UTF-8 in a filter, and a misplaced wildcard', async () => {
    await assertClosedWithout(frame({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'ok/#', qos: 0 }, { topic: 'a\u0000/#', qos: 0 }] }), 'suback', 'NUL filter');
    await assertClosedWithout(withBytes(frame({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'a/XX/#', qos: 0 }] }), 'XX', [0xc3, 0x28]), 'suback', 'bad UTF-8 filter');
    await assertClosedWithout(frame({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: '+a/b', qos: 0 }] }), 'suback', 'misplaced +');
  });
  await t.test('CONNECT: client id, user name and will topic', async () => {
    const cases: Array<[string, Buffer]> = [
      ['NUL in the client id', frame(connectPacket({ clientId: 'id\u0000', username: 'root', password }))],
      ['bad UTF-8 in the client id', withBytes(frame(connectPacket({ clientId: 'idXX', username: 'root', password })), 'XX', [0xc3, 0x28])],
      ['NUL in the user name', frame(connectPacket({ clientId: 'u1', username: 'ro\u0000ot', password }))],
      ['bad UTF-8 in the user name', withBytes(frame(connectPacket({ clientId: 'u2', username: 'roXX', password })), 'XX', [0xff, 0xfe])],
      ['NUL in the will topic', frame(connectPacket({ clientId: 'w1', username: 'root', password, will: { topic: 'will/a\u0000', payload: Buffer.from('x'), qos: 0, retain: false } }))],
      ['bad UTF-8 in the will topic', withBytes(frame(connectPacket({ clientId: 'w2', username: 'root', password, will: { topic: 'will/XXX', payload: Buffer.from('x'), qos: 0, retain: false } })), 'XXX', [0xed, 0xa0, 0x80])],
    ];
    for (const [name, bytes] of cases) {
      const raw = await session(bytes);
      await raw.closed;
      assert.equal(raw.packets.length, 0, `${name}: closed without CONNACK`);
    }
    await sync();
    assert.ok(!seen.some((topic) => topic.startsWith('will/')), 'no will published');
  });
  await t.test('over WebSocket the same: a NUL topic closes the connection', async () => {
    const ws = new WebSocket(server.wsUrl, ['mqtt']);
    const received: Buffer[] = [];
    ws.on('message', (data: Buffer) => received.push(data));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.send(frame(connectPacket({ clientId: 'ws-raw', username: 'root', password })));
    await waitFor(() => received.length > 0, 5000, 'CONNACK over WebSocket');
    ws.send(frame({ cmd: 'publish', topic: 'ws/\u0000', payload: '1', qos: 1, messageId: 3 }));
    await closed;
    assert.equal(received.length, 1, 'the CONNACK and nothing else (no PUBACK)');
  });
  await t.test('counted by reason', async () => {
    assert.equal(await refusalCount(server.httpUrl, 'nul-character'), 6);
    assert.equal(await refusalCount(server.httpUrl, 'malformed-utf8'), badUtf8.length + 4);
    assert.equal(await refusalCount(server.httpUrl, 'invalid-filter'), 1);
  });
});
