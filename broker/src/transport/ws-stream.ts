import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';

interface BufferedChunk {
  chunk: Buffer;
}

/**
 * ws 8's createWebSocketStream, with one addition: a `_writev`. Its Duplex has none, so every
 * write becomes its own WebSocket frame, and mqtt-packet writes each packet as several chunks.
 * With `_writev`, whatever was written while the previous frame was still being flushed goes out
 * as one frame: many MQTT packets per frame, which [MQTT-6.0.0-2] allows (the receiver must not
 * assume packets are aligned on frame boundaries). Reading, closing and errors are ws' own.
 */
export function createMqttWebSocketStream(ws: WebSocket): Duplex {
  const stream = createWebSocketStream(ws);
  const withWritev = stream as Duplex & { _writev(chunks: BufferedChunk[], callback: (err?: Error | null) => void): void };
  withWritev._writev = (chunks, callback) => {
    const frame = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk));
    ws.send(frame, callback);
  };
  return stream;
}
