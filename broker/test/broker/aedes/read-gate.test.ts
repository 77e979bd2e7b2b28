// When a client's socket is read: once the batch before is handled, and on the next turn of the
// event loop, never inside the callback that handled the batch.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { gateReads, whenPacketsHandled, type ReadingClient } from '../../../src/broker/aedes/read-gate.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** aedes 1.2's countdown, as client.js writes it: one handled packet; reads at 0. */
function fakeClient(): ReadingClient & { reads: number } {
  const conn = new PassThrough();
  const client = {
    conn,
    reads: 0,
    closed: false,
    _parsingBatch: 1,
    _nextBatch() {
      client._parsingBatch--;
      if (client._parsingBatch <= 0) {
        client._parsingBatch = 0;
        if (conn.read()) client.reads++;
      }
    },
  };
  conn.on('readable', client._nextBatch);
  return client;
}

/** A gated client that has read its first bytes (its CONNECT, say) and is idle. */
async function afterFirstRead(): Promise<ReturnType<typeof fakeClient>> {
  const client = fakeClient();
  gateReads(client);
  client.conn.write(Buffer.from('first'));
  await once(client.conn, 'readable');
  await nextTurn();
  assert.equal(client.reads, 1);
  return client;
}

test('bytes that arrive are read on the next turn, not in the callback that announced them', async () => {
  const client = fakeClient();
  gateReads(client);
  client.conn.write(Buffer.from('first'));
  await once(client.conn, 'readable');
  assert.equal(client.reads, 0);
  await nextTurn();
  assert.equal(client.reads, 1);
});

test('the socket is read again only after the last packet of a batch is handled, on the next turn', async () => {
  const client = await afterFirstRead();

  // a batch of two packets is being handled while more bytes arrive
  client._parsingBatch = 2;
  client.conn.write(Buffer.from('second'));
  await once(client.conn, 'readable');
  await nextTurn();
  assert.equal(client.reads, 1, 'not read while the batch is in hand');
  client._nextBatch();
  await nextTurn();
  assert.equal(client.reads, 1, 'one packet of the batch is still in hand');
  client._nextBatch();
  assert.equal(client.reads, 1, 'the read waits for the next turn');
  await nextTurn();
  assert.equal(client.reads, 2);
  assert.equal(client._parsingBatch, 0);
});

test('whenPacketsHandled resolves once the batch in hand is handled, or the connection closes', async () => {
  const client = await afterFirstRead();
  await whenPacketsHandled(client); // idle: at once

  client._parsingBatch = 2;
  let handled = false;
  const waiting = whenPacketsHandled(client).then(() => (handled = true));
  client._nextBatch();
  await nextTurn();
  assert.equal(handled, false, 'one packet is still in hand');
  client._nextBatch();
  await nextTurn();
  await waiting;
  assert.equal(client._parsingBatch, 0);

  client._parsingBatch = 1;
  const closing = whenPacketsHandled(client);
  client.conn.destroy();
  await closing;
});
