// The on-disk record both append-only files of the bridge use (the spool and the acknowledgement
// log): [u32 body bytes][u32 crc32 of the body][u32 items][body]. A record torn by a crash (kill -9
// in the middle of a write) fails its length or CRC check and is cut off at start-up, together with
// anything after it. Also here: the body of the acknowledgement log's records (the spool's is JSON).
import { closeSync, ftruncateSync, openSync, readSync, statSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { LoggedMessage } from './ack-log.ts';

export const recordHeaderBytes = 12;

/** Frames a body holding `items` points or messages. */
export function frameRecord(body: Buffer, items: number): Buffer {
  const header = Buffer.alloc(recordHeaderBytes);
  header.writeUInt32LE(body.length, 0);
  header.writeUInt32LE(crc32(body), 4);
  header.writeUInt32LE(items, 8);
  return Buffer.concat([header, body]);
}

/** How many items a framed record holds. */
export const itemsOf = (record: Buffer) => record.readUInt32LE(8);

/** The body of the record at `offset` (already checked at start-up) and the record's total length. */
export function readRecord(file: string, offset: number): { body: Buffer; recordBytes: number } {
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(recordHeaderBytes);
    readSync(fd, header, 0, recordHeaderBytes, offset);
    const body = Buffer.alloc(header.readUInt32LE(0));
    readSync(fd, body, 0, body.length, offset + recordHeaderBytes);
    return { body, recordBytes: recordHeaderBytes + body.length };
  } finally {
    closeSync(fd);
  }
}

export interface ScannedRecord {
  offset: number;
  items: number;
  /** only when asked for (`withBodies`) */
  body: Buffer | null;
}

/**
 * Walks a file's records from the start, checking each length and CRC; the first record that fails
 * and everything after it are cut off (the file is truncated). Returns the intact records.
 */
export function scanRecords(file: string, withBodies: boolean): { records: ScannedRecord[]; bytes: number } {
  const size = statSync(file).size;
  const records: ScannedRecord[] = [];
  let offset = 0;
  const fd = openSync(file, 'r+');
  try {
    const header = Buffer.alloc(recordHeaderBytes);
    while (offset + recordHeaderBytes <= size) {
      readSync(fd, header, 0, recordHeaderBytes, offset);
      const bodyBytes = header.readUInt32LE(0);
      if (offset + recordHeaderBytes + bodyBytes > size) break;
      const body = Buffer.alloc(bodyBytes);
      readSync(fd, body, 0, bodyBytes, offset + recordHeaderBytes);
      if (crc32(body) !== header.readUInt32LE(4)) break;
      records.push({ offset, items: header.readUInt32LE(8), body: withBodies ? body : null });
      offset += recordHeaderBytes + bodyBytes;
    }
    if (offset < size) ftruncateSync(fd, offset);
  } finally {
    closeSync(fd);
  }
  return { records, bytes: offset };
}

/** [u16 topic bytes][topic][u32 payload bytes][payload][f64 stamp ms] per message. */
export function encodeMessages(messages: readonly LoggedMessage[]): Buffer {
  let size = 0;
  for (const m of messages) size += 14 + Buffer.byteLength(m.topic) + m.payload.length;
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (const m of messages) {
    const topicBytes = body.write(m.topic, at + 2);
    body.writeUInt16LE(topicBytes, at);
    at += 2 + topicBytes;
    body.writeUInt32LE(m.payload.length, at);
    body.set(m.payload, at + 4);
    at += 4 + m.payload.length;
    body.writeDoubleLE(m.stampMs, at);
    at += 8;
  }
  return frameRecord(body, messages.length);
}

export function decodeMessages(body: Buffer, count: number): LoggedMessage[] {
  const messages: LoggedMessage[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const topicBytes = body.readUInt16LE(at);
    const topic = body.toString('utf8', at + 2, at + 2 + topicBytes);
    at += 2 + topicBytes;
    const payloadBytes = body.readUInt32LE(at);
    const payload = Buffer.from(body.subarray(at + 4, at + 4 + payloadBytes));
    at += 4 + payloadBytes;
    messages.push({ topic, payload, stampMs: body.readDoubleLE(at) });
    at += 8;
  }
  return messages;
}
