// The on-disk spool: batches the store could not take, in order, in append-only segment files under
// dataDir/spool. A record (records.ts) holds one batch as JSON; a torn record at the end of a segment
// (kill -9 mid-write) is cut off at start-up. Read positions live in cursor.json,
// replaced atomically after each acknowledged record, so a crash replays at most one record, which
// the store overwrites (same series and timestamp). Bounded in bytes with an explicit full policy.
//
// Synchronous file calls on purpose: one writer, records of a few hundred KiB, and a batch is either
// on disk (written and fsynced) or not when append() returns, which keeps the ordering rules of the
// delivery loop simple. The acknowledgement log lets go of points once they are here.
import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Batch } from './batcher.ts';
import { frameRecord, itemsOf, readRecord, scanRecords } from './records.ts';

export type SpoolFullPolicy = 'drop-oldest' | 'drop-newest';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  fullPolicy: SpoolFullPolicy;
}

export interface Spool {
  readonly bytes: number;
  /** points not yet acknowledged */
  readonly points: number;
  readonly isEmpty: boolean;
  /** adds batches after everything spooled; returns how many points the full policy dropped */
  append(batches: readonly Batch[]): number;
  /** adds batches before everything spooled (a failed in-flight write is older than the spool) */
  prepend(batches: readonly Batch[]): number;
  /** the oldest unacknowledged batch, read from disk */
  peek(): Batch | null;
  /** the batch from peek() reached the store: move past it */
  ack(): void;
  /** arrival time of the oldest spooled point */
  oldestMs(): number | null;
  close(): void;
}

interface Segment {
  seq: number;
  file: string;
  bytes: number;
  readOffset: number;
  points: number;
}

const firstSeq = 1_000_000_000;
const segmentName = (seq: number) => `${String(seq).padStart(16, '0')}.seg`;

export function openSpool(options: SpoolOptions): Spool {
  mkdirSync(options.dir, { recursive: true });
  const segmentMaxBytes = Math.min(64 * 1024 ** 2, Math.max(64 * 1024, Math.floor(options.maxBytes / 16)));
  const cursorFile = path.join(options.dir, 'cursor.json');
  const segments = recover(options.dir, readOffsets(cursorFile));
  let peeked: { seq: number; offset: number; recordBytes: number; batch: Batch } | null = null;

  const totalBytes = () => segments.reduce((sum, s) => sum + s.bytes, 0);

  function saveOffsets(): void {
    const offsets: Record<string, number> = {};
    for (const s of segments) if (s.readOffset > 0) offsets[s.seq] = s.readOffset;
    writeFileSync(`${cursorFile}.tmp`, JSON.stringify({ offsets }));
    renameSync(`${cursorFile}.tmp`, cursorFile);
  }

  function writeRecords(segment: Segment, records: Buffer[]): void {
    const fd = openSync(segment.file, 'a');
    try {
      for (const record of records) {
        writeSync(fd, record);
        segment.bytes += record.length;
        segment.points += itemsOf(record);
      }
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  function newSegment(seq: number): Segment {
    const segment = { seq, file: path.join(options.dir, segmentName(seq)), bytes: 0, readOffset: 0, points: 0 };
    writeFileSync(segment.file, '');
    return segment;
  }

  function removeSegment(index: number): void {
    const [segment] = segments.splice(index, 1);
    if (segment && existsSync(segment.file)) unlinkSync(segment.file);
    saveOffsets();
  }

  /** Drops whole oldest segments until `needed` more bytes fit; returns the points dropped. */
  function makeRoom(needed: number): number {
    let dropped = 0;
    while (segments.length > 0 && totalBytes() + needed > options.maxBytes) {
      const head = segments[0]!;
      const inFlight = peeked && peeked.seq === head.seq ? peeked.batch.points.length : 0;
      dropped += head.points - inFlight;
      if (inFlight > 0) peeked = null;
      removeSegment(0);
    }
    return dropped;
  }

  return {
    get bytes() {
      return totalBytes();
    },
    get points() {
      return segments.reduce((sum, s) => sum + s.points, 0);
    },
    get isEmpty() {
      return segments.every((s) => s.points === 0);
    },
    append(batches) {
      let dropped = 0;
      for (const batch of batches) {
        const record = encode(batch);
        if (record.length > options.maxBytes || (options.fullPolicy === 'drop-newest' && totalBytes() + record.length > options.maxBytes)) {
          dropped += batch.points.length;
          continue;
        }
        dropped += makeRoom(record.length);
        let tail = segments[segments.length - 1];
        if (!tail || tail.bytes + record.length > segmentMaxBytes) {
          tail = newSegment(tail ? tail.seq + 1 : firstSeq);
          segments.push(tail);
        }
        writeRecords(tail, [record]);
      }
      return dropped;
    },
    prepend(batches) {
      if (batches.length === 0) return 0;
      if (segments.length === 0) return this.append(batches);
      const head = newSegment(segments[0]!.seq - 1);
      segments.unshift(head);
      writeRecords(head, batches.map(encode));
      return 0;
    },
    peek() {
      if (peeked) return peeked.batch;
      while (segments.length > 0) {
        const head = segments[0]!;
        if (head.readOffset < head.bytes) {
          const { batch, recordBytes } = readBatch(head.file, head.readOffset);
          peeked = { seq: head.seq, offset: head.readOffset, recordBytes, batch };
          return batch;
        }
        removeSegment(0);
      }
      return null;
    },
    ack() {
      if (!peeked) return;
      const segment = segments.find((s) => s.seq === peeked!.seq);
      if (segment && segment.readOffset === peeked.offset) {
        segment.readOffset += peeked.recordBytes;
        segment.points -= peeked.batch.points.length;
        if (segment.readOffset >= segment.bytes) removeSegment(segments.indexOf(segment));
        else saveOffsets();
      }
      peeked = null;
    },
    oldestMs() {
      const batch = this.peek();
      return batch ? batch.firstReceivedAtMs : null;
    },
    close() {
      peeked = null;
    },
  };
}

function encode(batch: Batch): Buffer {
  return frameRecord(Buffer.from(JSON.stringify({ r: batch.firstReceivedAtMs, p: batch.points })), batch.points.length);
}

function readBatch(file: string, offset: number): { batch: Batch; recordBytes: number } {
  const { body, recordBytes } = readRecord(file, offset);
  const parsed = JSON.parse(body.toString('utf8')) as { r: number; p: Batch['points'] };
  return { batch: { firstReceivedAtMs: parsed.r, points: parsed.p }, recordBytes };
}

function readOffsets(cursorFile: string): Record<string, number> {
  try {
    return (JSON.parse(readFileSync(cursorFile, 'utf8')) as { offsets?: Record<string, number> }).offsets ?? {};
  } catch {
    return {};
  }
}

/** Rebuilds the segment list from disk: counts unread points, cuts a torn last record, removes read segments. */
function recover(dir: string, offsets: Record<string, number>): Segment[] {
  const segments: Segment[] = [];
  const names = readdirSync(dir).filter((n) => /^\d{16}\.seg$/.test(n)).sort();
  for (const name of names) {
    const file = path.join(dir, name);
    const seq = Number(name.slice(0, 16));
    const readOffset = offsets[seq] ?? 0;
    const { records, bytes } = scanRecords(file, false);
    const points = records.reduce((sum, r) => (r.offset >= readOffset ? sum + r.items : sum), 0);
    if (points === 0) unlinkSync(file);
    else segments.push({ seq, file, bytes, readOffset, points });
  }
  return segments;
}
