import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';
import { joinWrites } from './joined-writes.ts';

/**
 * ws 8's createWebSocketStream, with one addition: whatever was written while the previous frame
 * was still being flushed (or in one corked turn) goes out as one frame (joined-writes.ts). Many
 * MQTT packets per frame is what [MQTT-6.0.0-2] allows (the receiver must not assume packets are
 * aligned on frame boundaries). Reading, closing and errors are ws' own.
 */
export function createMqttWebSocketStream(ws: WebSocket): Duplex {
  const stream = createWebSocketStream(ws);
  joinWrites(stream, (frame, callback) => ws.send(frame, callback));
  return stream;
}
