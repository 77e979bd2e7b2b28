// The acknowledgement log: QoS >= 1 telemetry is acknowledged only once its message is here, on
// disk and fsynced, or in the store. Group commit: messages appended while a write+fdatasync is in
// flight wait and ride the next one together, so one fsync makes many messages durable and there is
// never more than one in flight. The write is synchronous (a copy into the page cache, tens of µs
// for a commit's records) and the fdatasync runs on libuv's thread pool, off the event loop: one
// event-loop turn per commit rather than two, which counts on a busy machine. Records (records.ts) hold the messages of one bridge drain as they arrived: topic, payload
// and the timestamp the bridge fixed for them, so a replay maps each to the very same point.
//
// Positions count logged messages across runs; segment files are named by the position of their
// first message. The bridge settles a position once every message before it is in the store (or the
// spool): settled.json records it, segments wholly before it are deleted, and at the next start only
// the messages from the settled position on are replayed: once.
import { closeSync, fdatasync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync, writevSync } from 'node:fs';
import path from 'node:path';
import { decodeMessages, encodeMessages, scanRecords } from './records.ts';

export interface LoggedMessage {
  topic: string;
  payload: Buffer;
  /** the point's timestamp when the payload has none (arrival-clock.ts) */
  stampMs: number;
}

export interface AckLogOptions {
  dir: string;
  /** a new segment file is started past this size */
  segmentMaxBytes: number;
  /** after each commit: messages made durable, seconds from write to fsync done */
  onCommit?: (messages: number, seconds: number) => void;
  /** a failed write, fsync or trim: its messages are released anyway (they still go to the store) */
  onError?: (err: Error) => void;
}

export interface AckLog {
  /** messages the last run logged whose position it had not settled, oldest first */
  readonly recovered: readonly LoggedMessage[];
  /** position after the last appended message */
  readonly position: number;
  /** bytes in segment files */
  readonly bytes: number;
  /** queues messages for the next commit; each of `onDurable` runs once they are fsynced */
  append(messages: readonly LoggedMessage[], onDurable: ReadonlyArray<() => void>): void;
  /** every message before `position` is in the store or the spool */
  settle(position: number): void;
  /** waits for the commit in flight and the queued ones; a settled log leaves no files behind */
  close(): Promise<void>;
}

interface Segment {
  file: string;
  startPos: number;
  endPos: number;
  bytes: number;
  fd: number | null;
}

const segmentName = (startPos: number) => `${String(startPos).padStart(16, '0')}.log`;

export function openAckLog(options: AckLogOptions): AckLog {
  mkdirSync(options.dir, { recursive: true });
  const checkpoint = path.join(options.dir, 'settled.json');
  const { segments, recovered, position: recoveredEnd, settled: settledAtOpen } = recover(options.dir, readSettled(checkpoint));
  let position = recoveredEnd;
  let committedPos = recoveredEnd;
  let settled = settledAtOpen;
  let active: Segment | null = null;
  let frames: Buffer[] = [];
  let frameItems = 0;
  let waiters: Array<() => void> = [];
  let writing: Promise<void> | null = null;
  let lastSaved = -1;

  function saveSettled(): void {
    if (settled === lastSaved) return;
    writeFileSync(`${checkpoint}.tmp`, JSON.stringify({ settled }));
    renameSync(`${checkpoint}.tmp`, checkpoint);
    lastSaved = settled;
  }
  saveSettled(); // positions may have started again from 0

  function remove(segment: Segment): void {
    if (segment.fd !== null) closeSync(segment.fd);
    segment.fd = null;
    segments.splice(segments.indexOf(segment), 1);
    rmSync(segment.file, { force: true });
  }

  /** Segments other than the one being written whose messages are all settled go. */
  function trim(): void {
    for (const segment of [...segments]) if (segment !== active && segment.endPos <= settled) remove(segment);
  }

  /** The segment this commit goes to: a new one when there is none, it is full, or all it holds is settled. */
  function writableSegment(): Segment {
    if (active && active.bytes < options.segmentMaxBytes && !(active.bytes > 0 && active.endPos <= settled)) return active;
    if (active && active.fd !== null) {
      closeSync(active.fd);
      active.fd = null;
    }
    const file = path.join(options.dir, segmentName(committedPos));
    active = { file, startPos: committedPos, endPos: committedPos, bytes: 0, fd: openSync(file, 'a') };
    segments.push(active);
    trim();
    return active;
  }

  function commit(): void {
    if (writing || frames.length === 0) return;
    const batch = frames;
    const items = frameItems;
    const done = waiters;
    frames = [];
    frameItems = 0;
    waiters = [];
    let segment: Segment;
    try {
      segment = writableSegment();
    } catch (err) {
      // no file to write to (disk full, folder gone): acknowledged without the log, counted
      options.onError?.(err as Error);
      committedPos += items;
      for (const release of done) release();
      return;
    }
    const fd = segment.fd!;
    const bytes = batch.reduce((sum, b) => sum + b.length, 0);
    const started = process.hrtime.bigint();
    writing = new Promise((resolve) => {
      const finish = (err: Error | null) => {
        if (err) {
          options.onError?.(err);
          if (active === segment) active = null; // a torn write: later commits go to a fresh file
        }
        segment.bytes += bytes;
        segment.endPos = committedPos += items;
        options.onCommit?.(items, Number(process.hrtime.bigint() - started) / 1e9);
        for (const release of done) release();
        writing = null;
        resolve();
        commit();
      };
      try {
        writevSync(fd, batch);
      } catch (err) {
        setImmediate(() => finish(err as Error)); // after `writing` is set
        return;
      }
      fdatasync(fd, (err) => finish(err ?? null));
    });
  }

  return {
    recovered,
    get position() {
      return position;
    },
    get bytes() {
      return segments.reduce((sum, s) => sum + s.bytes, 0) + frames.reduce((sum, f) => sum + f.length, 0);
    },
    append(messages, onDurable) {
      if (messages.length === 0) {
        for (const release of onDurable) release();
        return;
      }
      frames.push(encodeMessages(messages));
      frameItems += messages.length;
      position += messages.length;
      for (const release of onDurable) waiters.push(release);
      commit();
    },
    settle(upTo) {
      if (upTo <= settled) return;
      settled = Math.min(upTo, position);
      try {
        trim();
        saveSettled();
      } catch (err) {
        options.onError?.(err as Error); // tried again at the next settle; at worst a replay overwrites
      }
    },
    async close() {
      while (writing || frames.length > 0) {
        commit();
        await writing;
      }
      for (const segment of segments) {
        if (segment.fd !== null) closeSync(segment.fd);
        segment.fd = null;
      }
      active = null;
      try {
        trim();
        if (segments.length === 0) {
          settled = 0;
          saveSettled();
        }
      } catch (err) {
        options.onError?.(err as Error);
      }
    },
  };
}

function readSettled(file: string): number {
  try {
    const settled = (JSON.parse(readFileSync(file, 'utf8')) as { settled?: unknown }).settled;
    return typeof settled === 'number' && Number.isSafeInteger(settled) ? settled : 0;
  } catch {
    return 0;
  }
}

/** Reads every segment (cutting a torn last record); what is past the settled position is replayed. */
function recover(dir: string, settledAtOpen: number): { segments: Segment[]; recovered: LoggedMessage[]; position: number; settled: number } {
  const segments: Segment[] = [];
  const recovered: LoggedMessage[] = [];
  let position = 0;
  for (const name of readdirSync(dir).filter((n) => /^\d{16}\.log$/.test(n)).sort()) {
    const file = path.join(dir, name);
    const startPos = Number(name.slice(0, 16));
    const { records, bytes } = scanRecords(file, true);
    let pos = startPos;
    for (const record of records) {
      const messages = decodeMessages(record.body!, record.items);
      for (const message of messages) if (pos++ >= settledAtOpen) recovered.push(message);
    }
    position = Math.max(position, pos);
    if (pos <= settledAtOpen || records.length === 0) unlinkSync(file);
    else segments.push({ file, startPos, endPos: pos, bytes, fd: null });
  }
  // with nothing left to replay, positions start again from 0
  return segments.length === 0 ? { segments, recovered, position: 0, settled: 0 } : { segments, recovered, position, settled: Math.min(settledAtOpen, position) };
}
