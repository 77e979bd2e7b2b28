// Many small writes leave a connection as one buffer.
//
// A broker writes many small chunks to one connection in one turn: mqtt-packet writes each packet as
// several chunks, and a fan-in delivers thousands of small messages to one subscriber. Node hands a
// corked stream's chunks to its _writev, and net.Socket's own passes each chunk to the kernel as its
// own iovec, at most 1,024 per system call, with the rest waiting for the next turn of the event
// loop: a subscriber received 1,024 messages per turn. Copying the chunks into one buffer costs far
// less than those system calls and turns. ws' stream has no _writev at all: each chunk would be its
// own WebSocket frame.

import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface WrittenChunk {
  chunk: Buffer | string;
  encoding: BufferEncoding;
}

export type WritevCallback = (err?: Error | null) => void;

/** The chunks Node passes to _writev, as one buffer. */
export function joinChunks(chunks: readonly WrittenChunk[]): Buffer {
  const buffers = chunks.map(({ chunk, encoding }) => (typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk));
  return buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers);
}

/** Gives `stream` a _writev that hands everything buffered to `writeOne` as one buffer. */
export function joinWrites(stream: Duplex, writeOne: (data: Buffer, callback: WritevCallback) => void): void {
  (stream as Duplex & { _writev(chunks: WrittenChunk[], callback: WritevCallback): void })._writev = (chunks, callback) => writeOne(joinChunks(chunks), callback);
}

/** A TCP or TLS socket whose buffered chunks go to the kernel as one buffer. */
export function joinSocketWrites(socket: Socket): void {
  // Node's own encoding name for a Buffer chunk, which BufferEncoding does not list
  const writeOne = (socket as Socket & { _write(data: Buffer, encoding: 'buffer', callback: WritevCallback): void })._write.bind(socket);
  joinWrites(socket, (data, callback) => writeOne(data, 'buffer', callback));
}
