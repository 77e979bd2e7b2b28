// The seam to aedes: the start-up check finds every internal telemq relies on in the pinned aedes,
// and names the one that moved when it is not there; a replaced delivery reaches the client's state.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import { Aedes } from 'aedes';
import type { AppError } from '../../../src/errors.ts';
import { AEDES_VERSION, assertAedesFits, checkAedesInternals, installedAedesVersion, internalsOf, replaceDelivery, type DeliveringClient } from '../../../src/broker/aedes/internals.ts';

test('the installed aedes is the pinned version, and broker/package.json pins it exactly', () => {
  assert.equal(installedAedesVersion(), AEDES_VERSION);
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
  assert.equal(manifest.dependencies.aedes, AEDES_VERSION);
});

test('every internal telemq uses is where it expects it in the installed aedes', async (t) => {
  const aedes = await Aedes.createBroker();
  t.after(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
  assert.deepEqual(checkAedesInternals(aedes), []);
});

test('an aedes whose client lost an internal is refused with that internal named', async (t) => {
  const aedes = await Aedes.createBroker();
  t.after(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
  const handle = aedes.handle.bind(aedes);
  aedes.handle = ((stream: Parameters<typeof handle>[0]) => {
    const client = handle(stream) as unknown as Record<string, unknown>;
    delete client._parsingBatch;
    delete client._nextId;
    client.deliverQoS = () => {};
    return client;
  }) as unknown as typeof aedes.handle;
  const problems = checkAedesInternals(aedes);
  assert.ok(problems.some((p) => p.includes('_parsingBatch')), problems.join('; '));
  assert.ok(problems.some((p) => p.includes('deliverQoS')), problems.join('; '));
  assert.ok(problems.some((p) => p.includes('_nextId')), problems.join('; '));
  assert.throws(() => assertAedesFits(aedes), (err: AppError) => err.code === 'AEDES_UNSUPPORTED' && err.message.includes('Client#_parsingBatch'), 'start-up stops, naming what moved');
});

test("a replaced delivery is the one aedes calls, and takes the client's packet identifiers and persistence", async (t) => {
  const aedes = await Aedes.createBroker();
  t.after(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
  const stream = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
  t.after(() => stream.destroy());
  const client = aedes.handle(stream);
  const internals = internalsOf(client);
  internals._nextId = 65535;
  let delivering: DeliveringClient | undefined;
  const deliver0 = () => {};
  const deliverQoS = () => {};
  replaceDelivery(client, (c) => {
    delivering = c;
    return { deliver0, deliverQoS };
  });
  assert.equal(internals.deliver0, deliver0);
  assert.equal(internals.deliverQoS, deliverQoS);
  assert.equal(delivering!.takePacketId(), 65535);
  assert.equal(delivering!.takePacketId(), 1, 'identifiers wrap to 1, never 0 [MQTT-2.3.1-1]');
  assert.equal(internals._nextId, 2);
  assert.equal(delivering!.conn, stream);
  internals.id = 'set-by-connect';
  internals.clean = false;
  assert.equal(delivering!.id, 'set-by-connect', 'read when used: CONNECT comes after the delivery is replaced');
  assert.equal(delivering!.clean, false);
  let recorded: unknown;
  internals.broker.persistence.outgoingUpdate = async (_client, packet) => (recorded = packet);
  const packet = { topic: 't', payload: Buffer.from('x'), qos: 1 as const, retain: false, messageId: 7 };
  await delivering!.recordOutgoing(packet);
  assert.equal(recorded, packet);
});
