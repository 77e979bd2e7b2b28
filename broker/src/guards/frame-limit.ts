// Maximum packet size, decided from the fixed header alone [MQTT-2.2.3]: as soon as a frame's
// remaining length is known, a frame larger than the limit closes the connection, so its payload is
// never read, let alone buffered. mqtt-packet has no size limit, hence this small tracker: it sees
// every chunk just before aedes' parser does and only counts bytes.

export type FrameCheck = 'ok' | 'too_large' | 'malformed';

/** Returns a feed function to call with each inbound chunk, in order. */
export function createFrameLimit(maxPacketBytes: number): (chunk: Buffer) => FrameCheck {
  let skipBytes = 0; // rest of the current frame, not inspected
  let inHeader = false; // type byte seen, reading the remaining length
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;

  return function feed(chunk) {
    let i = 0;
    while (i < chunk.length) {
      if (skipBytes > 0) {
        const n = Math.min(skipBytes, chunk.length - i);
        skipBytes -= n;
        i += n;
        continue;
      }
      if (!inHeader) {
        inHeader = true;
        length = 0;
        multiplier = 1;
        lengthBytes = 0;
        i++;
        continue;
      }
      const byte = chunk[i++]!;
      lengthBytes++;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if (byte & 0x80) {
        // [MQTT-2.2.3]: at most four bytes of remaining length
        if (lengthBytes === 4) return 'malformed';
        continue;
      }
      if (1 + lengthBytes + length > maxPacketBytes) return 'too_large';
      inHeader = false;
      skipBytes = length;
    }
    return 'ok';
  };
}
