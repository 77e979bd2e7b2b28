// Malformed and random MQTT frames from a seeded generator, so a failure can be replayed.
import mqttPacket from 'mqtt-packet';

export type Rng = () => number;

/** mulberry32: small, fast, seedable. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rng: Rng, n: number) => Math.floor(rng() * n);
const bytes = (rng: Rng, n: number) => Buffer.from(Array.from({ length: n }, () => int(rng, 256)));

export function connectFrame(clientId: string, password?: string, patch: Partial<mqttPacket.IConnectPacket> = {}): Buffer {
  return mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 30,
    clientId,
    ...(password ? { username: 'fuzz', password: Buffer.from(password) } : {}),
    ...patch,
  });
}

/** A PUBLISH whose topic bytes are given raw (to carry invalid UTF-8). */
function publishWithRawTopic(topic: Buffer, payload: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, payload]);
  return Buffer.concat([Buffer.from([0x30]), encodeLength(body.length), body]);
}

function encodeLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** Clears the clean-session flag: an empty client id then must be refused [MQTT-3.1.3-8]. */
function withoutCleanSession(frame: Buffer, clear: boolean): Buffer {
  if (!clear) return frame;
  let at = 1;
  while (frame[at]! & 0x80) at++;
  const flags = at + 1 + 2 + 4 + 1; // after the remaining length, "MQTT" with its length, the level
  frame[flags] = frame[flags]! & ~0x02;
  return frame;
}

export const frameKinds = [
  'truncated_header',
  'bad_remaining_length',
  'wrong_protocol_name',
  'invalid_utf8_topic',
  'zero_length_client_id',
  'oversize',
  'random_bytes',
  'bad_token_connect',
  'publish_before_connect',
  'bit_flipped_connect',
] as const;
export type FrameKind = (typeof frameKinds)[number];

/**
 * One frame of the given kind. `sessionToken` is a valid admin token used where the frame needs an
 * authenticated session to reach the deeper parser paths (invalid UTF-8 topics).
 */
export function malformedFrame(kind: FrameKind, rng: Rng, sessionToken: string, maxPacketBytes: number): Buffer[] {
  switch (kind) {
    case 'truncated_header':
      // a type byte alone, or a type byte and an unfinished remaining length
      return int(rng, 2) === 0 ? [Buffer.from([0x10 + 16 * int(rng, 15)])] : [Buffer.from([0x30, 0x80 | int(rng, 128)])];
    case 'bad_remaining_length':
      return [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f, ...bytes(rng, 8)])];
    case 'wrong_protocol_name': {
      const frame = connectFrame(`fz-${int(rng, 1e6)}`);
      frame.write(['MQTX', 'HTTP', 'mqtt', '\u0000\u0000\u0000\u0000'][int(rng, 4)]!, 4, 'latin1'); // bytes 4-7 hold "MQTT"
      return [frame];
    }
    case 'invalid_utf8_topic':
      return [connectFrame(`root-fz-${int(rng, 1e9)}`, sessionToken), publishWithRawTopic(Buffer.from([0x61, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), bytes(rng, 8))];
    case 'zero_length_client_id':
      return [withoutCleanSession(connectFrame('', sessionToken), int(rng, 2) === 0)];
    case 'oversize':
      return [Buffer.concat([Buffer.from([0x30]), encodeLength(maxPacketBytes + 1 + int(rng, 10_000_000)), bytes(rng, 64)])];
    case 'random_bytes':
      return [bytes(rng, 1 + int(rng, 512))];
    case 'bad_token_connect':
      return [connectFrame(`d${int(rng, 1e6)}`, `${bytes(rng, 12).toString('base64url')}.${bytes(rng, 30).toString('base64url')}.${bytes(rng, 20).toString('base64url')}`)];
    case 'publish_before_connect':
      return [mqttPacket.generate({ cmd: 'publish', topic: 'fuzz/t', payload: bytes(rng, 16), qos: 0, retain: false, dup: false })];
    case 'bit_flipped_connect': {
      const frame = connectFrame(`fz-${int(rng, 1e6)}`, sessionToken);
      for (let i = 0; i < 3; i++) {
        const at = int(rng, frame.length);
        frame[at] = frame[at]! ^ (1 << int(rng, 8));
      }
      return [frame];
    }
  }
}
