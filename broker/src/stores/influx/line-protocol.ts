// Batched line protocol for the write hot path. The `influx` package's writePoints serialises each
// point through generic, regex-based escaping and option handling, which on this machine costs about
// 60 % of the throughput influxd can take (bench/bridge-influx.ts). This serialiser writes the same
// InfluxDB 1.x line protocol straight into one buffer per batch, escaping only strings that need it,
// with series keys and field keys escaped once; a JsonPoint's values are copied from its payload.
import { isSpace } from '../../points/flat-json.ts';
import type { FieldShape, FieldValue, JsonPoint, Point } from '../../points/point.ts';

// [line protocol] measurement: comma and space; tag keys, tag values, field keys: comma, equals, space;
// string field values: double quote and backslash.
// The same characters as the package's escape.measurement / escape.tag; names with line breaks never
// get here (the mapping refuses them).
const measurementSpecial = /[, ]/g;
const keySpecial = /[,= ]/g;

function escapeMeasurement(value: string): string {
  return value.includes(',') || value.includes(' ') ? value.replace(measurementSpecial, '\\$&') : value;
}

function escapeKey(value: string): string {
  return value.includes(',') || value.includes('=') || value.includes(' ') ? value.replace(keySpecial, '\\$&') : value;
}

function fieldValue(value: FieldValue): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A field key escaped, as it starts a line's field set (` key=`) and as it continues it (`,key=`). */
const fieldPrefixes = new Map<string, readonly [first: string, next: string]>();

/** Field keys repeat from point to point: escape each once (the cache is bounded). */
function fieldPrefix(key: string): readonly [first: string, next: string] {
  let prefix = fieldPrefixes.get(key);
  if (prefix === undefined) {
    if (fieldPrefixes.size >= 10_000) fieldPrefixes.clear();
    const escaped = escapeKey(key);
    prefix = [` ${escaped}=`, `,${escaped}=`];
    fieldPrefixes.set(key, prefix);
  }
  return prefix;
}

/** The same prefixes as bytes, per field of a JsonPoint's shape, and their total length. */
const shapePrefixes = new WeakMap<FieldShape, { prefixes: Buffer[]; bytes: number }>();

function prefixesOf(shape: FieldShape): { prefixes: Buffer[]; bytes: number } {
  let entry = shapePrefixes.get(shape);
  if (entry === undefined) {
    const prefixes = shape.fields.map((field, f) => Buffer.from(fieldPrefix(field)[f === 0 ? 0 : 1]));
    entry = { prefixes, bytes: prefixes.reduce((sum, p) => sum + p.length, 0) };
    shapePrefixes.set(shape, entry);
  }
  return entry;
}

/** Series keys by tags object: the bridge gives every point of one topic the same tags object. */
const seriesByTags = new WeakMap<object, { measurement: string; series: Buffer }>();

/** Measurement and tags sorted by key, escaped: the series part of a line. */
function seriesKey(measurement: string, tags: Readonly<Record<string, string>>): Buffer {
  const cached = seriesByTags.get(tags);
  if (cached !== undefined && cached.measurement === measurement) return cached.series;
  let text = escapeMeasurement(measurement);
  for (const k of Object.keys(tags).sort()) {
    const v = tags[k]!;
    if (v !== '') text += `,${escapeKey(k)}=${escapeKey(v)}`;
  }
  const series = Buffer.from(text);
  seriesByTags.set(tags, { measurement, series });
  return series;
}

/** a space, up to 16 digits of epoch µs (until the year 2286) and a sign, a newline */
const maxTimestampBytes = 19;

/** Writes a safe integer's decimal digits (timestamps: no string made per point). */
function writeInteger(out: Buffer, at: number, value: number): number {
  if (value < 0) {
    out[at++] = 0x2d;
    value = -value;
  }
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
  return at + digits;
}

/** Serialises points, one line each, into one buffer; timestamps in µs (write with precision=u). */
export function toLineProtocol(points: readonly Point[]): Buffer {
  let out = Buffer.allocUnsafe(points.length * 128);
  let at = 0;
  const reserve = (bytes: number) => {
    if (at + bytes <= out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, at + bytes));
    out.copy(bigger, 0, 0, at);
    out = bigger;
  };
  for (let i = 0; i < points.length; i++) {
    const point = points[i]!;
    const series = seriesKey(point.measurement, point.tags);
    if (point.kind === 'json') {
      // the values are copied from the payload, so the payload's length bounds theirs
      reserve(series.length + prefixesOf(point.shape).bytes + (point.end - point.start) + maxTimestampBytes);
      out.set(series, at);
      at = copyJsonFields(out, at + series.length, point);
    } else {
      let line = '';
      let first = true;
      for (const k in point.fields) {
        line += fieldPrefix(k)[first ? 0 : 1] + fieldValue(point.fields[k]!);
        first = false;
      }
      reserve(series.length + Buffer.byteLength(line) + maxTimestampBytes);
      out.set(series, at);
      at += series.length;
      at += out.write(line, at);
    }
    out[at++] = 0x20;
    at = writeInteger(out, at, Math.round(point.timestampMs * 1000));
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}

/**
 * Writes a JsonPoint's field set: each member's field prefix, then its value's bytes as they are
 * (numbers, true/false and quoted strings read the same in JSON and in line protocol for what the
 * scan accepts). The payload was checked by scanFlatJson, so this pass only finds boundaries, in
 * plain loops: these spans are a few bytes long, shorter than a native call is worth.
 */
function copyJsonFields(out: Buffer, at: number, point: JsonPoint): number {
  const { bytes, end, shape } = point;
  const { prefixes } = prefixesOf(shape);
  let field = 0;
  let i = indexOf(bytes, 0x7b, point.start, end);
  for (let member = 0; member < shape.keyBytes.length; member++) {
    i = indexOf(bytes, 0x22, indexOf(bytes, 0x22, i, end) + 1, end); // the key's quotes
    i = indexOf(bytes, 0x3a, i, end) + 1; // colon
    while (i < end && isSpace(bytes[i]!)) i++;
    const start = i;
    if (bytes[i] === 0x22) i = indexOf(bytes, 0x22, i + 1, end) + 1;
    else while (i < end && !isSpace(bytes[i]!) && bytes[i] !== 0x2c && bytes[i] !== 0x7d) i++;
    if (member === shape.timestampIndex) continue;
    const prefix = prefixes[field++]!;
    for (let j = 0; j < prefix.length; j++) out[at++] = prefix[j]!;
    for (let j = start; j < i; j++) out[at++] = bytes[j]!;
  }
  return at;
}

function indexOf(bytes: Buffer, byte: number, from: number, end: number): number {
  while (from < end && bytes[from] !== byte) from++;
  return from;
}