// Telemetry as most devices send it: one flat JSON object of numbers, booleans and plain strings,
// maybe with a timestamp. For such a payload the bridge does not build a fields object at all: a
// byte scan checks it and names its shape (field names and kinds, remembered once), and the point
// keeps the payload's bytes, which the InfluxDB encoder copies into line protocol as they are.
// Why not JSON.parse: parsing, copying the fields and formatting the numbers again took about
// 1.1 µs of CPU per point on the development machine, the scan and copy about 0.4 µs; on a machine
// shared with influxd that CPU decides how close the bridge gets to influxd's own ceiling
// (bench/bridge-influx.ts). The scan is deliberately narrow: whatever it does not recognise
// (escapes, non-ASCII, null, nesting, exponents, long numbers, duplicate keys) it declines, and the
// JSON codec decodes that payload with JSON.parse as before, so both paths give the same points.
import type { FieldKind, FieldShape } from './point.ts';

const quote = 0x22;
const backslash = 0x5c;
const colon = 0x3a;
const comma = 0x2c;
const minus = 0x2d;
const dot = 0x2e;
const zero = 0x30;
const nine = 0x39;
const openBrace = 0x7b;
const closeBrace = 0x7d;
/** numbers longer than this are left to JSON.parse, so a copied number is always finite */
const maxNumberDigits = 20;
/** objects with more members are left to JSON.parse (and the scratch arrays stay small) */
const maxMembers = 256;
/** a timestamp of at most this many digits is an exact integer */
const maxTimestampDigits = 15;

/** JSON's insignificant whitespace */
export const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * One codec's scanning state: distinct shapes seen, the last one (consecutive payloads usually
 * share it), the scan's result and its scratch space. Each codec has its own, so nothing is shared
 * between scans of different codecs and nothing lives at module level.
 */
export interface ShapeCache {
  last: FieldShape | null;
  byKeys: Map<string, FieldShape>;
  /** what scanFlatJson returns, reused from call to call: read it before the next scan */
  result: FlatJson;
  /** member boundaries and kinds of the scan in progress */
  keyStart: number[];
  keyEnd: number[];
  kinds: FieldKind[];
}

const noShape: FieldShape = { keyBytes: [], keyKinds: [], timestampIndex: -1, fields: [], kinds: [] };

export const createShapeCache = (): ShapeCache => ({ last: null, byKeys: new Map(), result: { ok: true, shape: noShape, timestampMs: null }, keyStart: [], keyEnd: [], kinds: [] });

const maxShapes = 1000;

/** A payload the scan recognised: its shape and timestamp. */
export interface FlatJson {
  ok: true;
  shape: FieldShape;
  /** the timestamp key's value, or null when the payload has none */
  timestampMs: number | null;
}

/**
 * Scans a payload that should be one flat JSON object. Returns its shape and timestamp, or null to
 * decline (the caller then decodes with JSON.parse). `timestampField` names the timestamp key. The
 * returned object is `shapes.result`, overwritten by the next scan.
 */
export function scanFlatJson(payload: Buffer, timestampField: string, shapes: ShapeCache): FlatJson | null {
  const n = payload.length;
  let i = skipSpace(payload, 0, n);
  if (payload[i] !== openBrace) return null;
  i = skipSpace(payload, i + 1, n);
  let members = 0;
  let timestampMs: number | null = null;
  let timestampIndex = -1;
  const expected = shapes.last;
  let sameAsLast = expected !== null;
  for (;;) {
    // key: printable ASCII without escapes
    if (payload[i] !== quote) return null;
    const keyStart = ++i;
    i = plainStringEnd(payload, i, n);
    if (i < 0 || i === keyStart) return null;
    const keyEnd = i;
    i = skipSpace(payload, i + 1, n);
    if (payload[i] !== colon) return null;
    i = skipSpace(payload, i + 1, n);

    // value: number, true, false or a plain string; the timestamp a non-negative integer
    const isTimestamp = bytesAre(payload, keyStart, keyEnd, timestampField);
    const c = payload[i];
    let kind: FieldKind;
    if (c === quote) {
      i = plainStringEnd(payload, i + 1, n);
      if (i < 0) return null;
      i++;
      kind = 'string';
    } else if (c === 0x74 /* t */ && bytesAre(payload, i, i + 4, 'true')) {
      i += 4;
      kind = 'boolean';
    } else if (c === 0x66 /* f */ && bytesAre(payload, i, i + 5, 'false')) {
      i += 5;
      kind = 'boolean';
    } else {
      const end = numberEnd(payload, i, n);
      if (end < 0) return null;
      if (isTimestamp) {
        timestampMs = integerAt(payload, i, end);
        if (timestampMs < 0) return null;
        timestampIndex = members;
      }
      i = end;
      kind = 'number';
    }
    if (isTimestamp && kind !== 'number') return null;
    if (sameAsLast) sameAsLast = members < expected!.keyBytes.length && expected!.keyKinds[members] === kind && bytesEqual(payload, keyStart, keyEnd, expected!.keyBytes[members]!);
    if (members === maxMembers) return null;
    shapes.keyStart[members] = keyStart;
    shapes.keyEnd[members] = keyEnd;
    shapes.kinds[members] = kind;
    members++;

    i = skipSpace(payload, i, n);
    if (payload[i] === comma) {
      i = skipSpace(payload, i + 1, n);
      continue;
    }
    if (payload[i] !== closeBrace) return null;
    break;
  }
  if (skipSpace(payload, i + 1, n) !== n) return null;
  const shape = sameAsLast && members === expected!.keyBytes.length && timestampIndex === expected!.timestampIndex ? expected! : shapeOf(payload, members, timestampIndex, shapes);
  if (shape === null) return null;
  shapes.result.shape = shape;
  shapes.result.timestampMs = timestampMs;
  return shapes.result;
}

/** The shape of the members just scanned, from the cache or made once; null for duplicate keys or no fields. */
function shapeOf(payload: Buffer, members: number, timestampIndex: number, shapes: ShapeCache): FieldShape | null {
  const keys: string[] = [];
  for (let m = 0; m < members; m++) keys.push(payload.toString('latin1', shapes.keyStart[m], shapes.keyEnd[m]));
  const keyKinds = shapes.kinds.slice(0, members);
  if (members === (timestampIndex >= 0 ? 1 : 0) || new Set(keys).size !== members) return null;
  const id = `${keys.join('\u0000')}\u0001${keyKinds.join(',')}\u0001${timestampIndex}`;
  let shape = shapes.byKeys.get(id);
  if (shape === undefined) {
    if (shapes.byKeys.size >= maxShapes) shapes.byKeys.clear();
    const fields = keys.filter((_, m) => m !== timestampIndex);
    const kinds = keyKinds.filter((_, m) => m !== timestampIndex);
    shape = { keyBytes: keys.map((k) => Buffer.from(k, 'latin1')), keyKinds, timestampIndex, fields, kinds };
    shapes.byKeys.set(id, shape);
  }
  shapes.last = shape;
  return shape;
}

function skipSpace(payload: Buffer, i: number, n: number): number {
  while (i < n && isSpace(payload[i]!)) i++;
  return i;
}

function bytesEqual(payload: Buffer, start: number, end: number, bytes: Buffer): boolean {
  if (end - start !== bytes.length) return false;
  for (let j = 0; j < bytes.length; j++) if (payload[start + j] !== bytes[j]) return false;
  return true;
}

function bytesAre(payload: Buffer, start: number, end: number, key: string): boolean {
  if (end - start !== key.length) return false;
  for (let j = 0; j < key.length; j++) if (payload[start + j] !== key.charCodeAt(j)) return false;
  return true;
}

/** Index of the closing quote of a string of printable ASCII without escapes starting at i, or -1. */
function plainStringEnd(payload: Buffer, i: number, n: number): number {
  for (; i < n; i++) {
    const c = payload[i]!;
    if (c === quote) return i;
    if (c < 0x20 || c > 0x7e || c === backslash) return -1;
  }
  return -1;
}

/** End of a JSON number `-?(0|[1-9][0-9]*)(.[0-9]+)?` of at most maxNumberDigits digits and not -0, or -1. */
function numberEnd(payload: Buffer, i: number, n: number): number {
  const start = i;
  if (payload[i] === minus) i++;
  const intStart = i;
  let nonZero = false;
  for (; i < n && payload[i]! >= zero && payload[i]! <= nine; i++) if (payload[i] !== zero) nonZero = true;
  const intDigits = i - intStart;
  if (intDigits === 0 || (intDigits > 1 && payload[intStart] === zero)) return -1;
  let digits = intDigits;
  if (payload[i] === dot) {
    const fracStart = ++i;
    for (; i < n && payload[i]! >= zero && payload[i]! <= nine; i++) if (payload[i] !== zero) nonZero = true;
    if (i === fracStart) return -1;
    digits += i - fracStart;
  }
  if (digits > maxNumberDigits) return -1;
  if (payload[start] === minus && !nonZero) return -1; // -0: JSON.parse gives -0, which formats as 0
  const next = payload[i];
  if (next === 0x65 || next === 0x45) return -1; // exponent
  return i;
}

/** A non-negative integer of at most maxTimestampDigits digits, or -1. */
function integerAt(payload: Buffer, start: number, end: number): number {
  if (end - start > maxTimestampDigits || payload[start] === minus) return -1;
  let value = 0;
  for (let j = start; j < end; j++) {
    const c = payload[j]!;
    if (c === dot) return -1;
    value = value * 10 + (c - zero);
  }
  return value;
}
