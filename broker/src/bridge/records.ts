// The on-disk record both append-only files of the bridge use (the spool and the acknowledgement
// log): [u32 body bytes][u32 crc32 of the body][u32 items][body]. A record torn by a crash
// (kill -9 in the middle of a write) fails its length or CRC check and is cut off at start-up,
// together with anything after it.
import { closeSync, ftruncateSync, openSync, readSync, statSync } from 'node:fs';
import { crc32 } from 'node:zlib';

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
