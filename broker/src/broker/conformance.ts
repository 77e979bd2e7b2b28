// MQTT 3.1.1 rules aedes 1.2 gets wrong, enforced around it: each check cites its clause.
// They run once per connection or once per packet with a cheap `cmd` test, never per delivery.
import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { screenPackets, watchMalformedStrings, type ClientInternals } from './aedes/internals.ts';
import { inboundViolation } from './packet-strings.ts';
import type { ProtocolViolation } from './types.ts';

/** CONNACK with return code 0x01 (unacceptable protocol level) [MQTT-3.2.2.3]. */
const CONNACK_UNACCEPTABLE_PROTOCOL = Buffer.from([0x20, 0x02, 0x00, 0x01]);

type HeaderVerdict = 'need-more' | 'pass' | 'unsupported-level';

/**
 * Looks at the first bytes of a connection. A CONNECT naming MQTT (or MQIsdp) with a level other
 * than 4 (or 3) must get CONNACK 0x01 and then the close [MQTT-3.1.2-2]; aedes' parser errors
 * out on such levels before aedes sees the packet and closes without a CONNACK. Anything else
 * (including a malformed packet, which aedes closes on [MQTT-3.1.0-1]) passes through.
 */
export function inspectConnectHeader(buf: Buffer): HeaderVerdict {
  if (buf.length < 1) return 'need-more';
  if (buf[0] !== 0x10) return 'pass';
  let i = 1;
  while (i < buf.length && i < 5 && (buf[i]! & 0x80) !== 0) i++;
  if (i >= buf.length) return i >= 5 ? 'pass' : 'need-more';
  i++;
  if (buf.length < i + 2) return 'need-more';
  const nameLength = buf.readUInt16BE(i);
  if (nameLength !== 4 && nameLength !== 6) return 'pass';
  if (buf.length < i + 2 + nameLength + 1) return 'need-more';
  const name = buf.toString('latin1', i + 2, i + 2 + nameLength);
  const level = buf[i + 2 + nameLength];
  if (name === 'MQTT') return level === 4 ? 'pass' : 'unsupported-level';
  if (name === 'MQIsdp') return level === 3 ? 'pass' : 'unsupported-level';
  return 'pass';
}

/**
 * Reads just enough of a new connection to judge its CONNECT header, puts the bytes back and calls
 * `accept`; or answers CONNACK 0x01 and closes. Gives up (destroys) after `timeoutMs` without a header.
 */
export function screenConnect(stream: Duplex, timeoutMs: number, accept: () => void, onRejected: () => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => {
    stream.off('readable', onReadable);
    stream.destroy();
  }, timeoutMs);
  const finish = () => {
    clearTimeout(timer);
    stream.off('readable', onReadable);
    stream.off('close', onClose);
  };
  const onClose = () => finish();
  function onReadable(): void {
    let chunk: Buffer | null;
    while ((chunk = stream.read() as Buffer | null) !== null) buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const verdict = inspectConnectHeader(buffered);
    if (verdict === 'need-more') return;
    finish();
    if (verdict === 'unsupported-level') {
      onRejected();
      stream.end(CONNACK_UNACCEPTABLE_PROTOCOL);
      stream.once('finish', () => stream.destroy());
      return;
    }
    if (buffered.length > 0) stream.unshift(buffered);
    // After the 'readable' listener is removed, Readable updates its listening state on the next
    // tick; attaching aedes' listener after that makes it see the bytes put back.
    process.nextTick(accept);
  }
  stream.on('readable', onReadable);
  stream.once('close', onClose);
}

/**
 * Packet-level rules checked before aedes handles a packet (packet-strings.ts); a violation closes
 * the connection without an answer, as the spec requires [MQTT-4.8.0-1], and nothing read after
 * it on that connection is handled.
 */
export function guardPackets(client: ClientInternals, onViolation: (violation: ProtocolViolation) => void): void {
  const strings = watchMalformedStrings(client);
  let violated = false;
  screenPackets(client, (packet) => {
    if (violated) return false;
    const violation = inboundViolation(strings, packet);
    if (violation) {
      violated = true;
      onViolation(violation);
      client.conn.destroy();
      return false;
    }
    return true;
  });
}

/** A CONNACK refusing the connection, written before the close. */
export function writeConnackRefusal(conn: Duplex, returnCode: number, then: () => void): void {
  if (conn.destroyed || !conn.writable) return then();
  conn.write(mqttPacket.generate({ cmd: 'connack', returnCode, sessionPresent: false }), () => then());
}

/**
 * [MQTT-3.2.2-2]: aedes sets Session Present only when the stored session has subscriptions, so a
 * resumed session without any is reported as new. For a connection known to resume a session,
 * this rewrites the flags byte of the CONNACK aedes is about to write (accepted CONNACKs only:
 * a refusal keeps Session Present 0 [MQTT-3.2.2-4]), then steps out of the way.
 */
export function reportSessionPresent(conn: Duplex): void {
  const write = conn.write as (this: Duplex, chunk: unknown, ...rest: unknown[]) => boolean;
  let pending: Buffer[] = [];
  let length = 0;
  const restore = () => {
    conn.write = write as Duplex['write'];
  };
  conn.write = function connackWrite(this: Duplex, chunk: unknown, ...rest: unknown[]): boolean {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    if (length === 0 && buf[0] !== 0x20) {
      restore();
      return write.call(this, chunk, ...rest);
    }
    pending.push(buf);
    length += buf.length;
    if (length < 4) return true;
    restore();
    const connack = Buffer.concat(pending);
    pending = [];
    if (connack[1] === 0x02 && connack[3] === 0x00) connack[2] = 0x01;
    return write.call(this, connack, ...rest);
  } as Duplex['write'];
}

/**
 * aedes stores a SUBSCRIBE's whole filter list once per granted filter (handlers/subscribe.js
 * storeSubscriptions), often before the other filters are judged, so a filter answered 0x80 was
 * kept in a persistent session: messages on it were queued while the client was away and sent when
 * it came back [MQTT-3.9.3-2]. Only filters marked granted reach the persistence.
 */
export function storeOnlyGranted(persistence: { addSubscriptions(client: unknown, subs: object[]): Promise<unknown> }, granted: WeakSet<object>): void {
  const addSubscriptions = persistence.addSubscriptions.bind(persistence);
  persistence.addSubscriptions = (client, subs) => {
    const kept = subs.filter((sub) => granted.has(sub));
    return kept.length > 0 ? addSubscriptions(client, kept) : Promise.resolve();
  };
}
