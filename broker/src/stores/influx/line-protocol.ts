// Batched line protocol for the write hot path. The `influx` package's writePoints serialises each
// point through generic, regex-based escaping and option handling, which on this machine costs about
// 40 % of the throughput influxd can take (see bench/bridge-influx-write.ts). This serialiser writes
// the same InfluxDB 1.x line protocol, escaping only strings that need it, and caches series keys and
// escaped field keys.
import type { FieldValue, Point } from '../types.ts';

// [line protocol] measurement: comma and space; tag keys, tag values, field keys: comma, equals, space;
// string field values: double quote and backslash.
// The same characters as the package's escape.measurement / escape.tag; names with line breaks never
// get here (the mapping refuses them).
const measurementSpecial = /[, ]/g;
const keySpecial = /[,= ]/g;

function escapeMeasurement(value: string): string {
  return value.includes(',') || value.includes(' ') ? value.replace(measurementSpecial, '\\$&') : value;
}

export function escapeKey(value: string): string {
  return value.includes(',') || value.includes('=') || value.includes(' ') ? value.replace(keySpecial, '\\$&') : value;
}

function fieldValue(value: FieldValue): string {
  if (typeof value === 'number') return '' + value;
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

/** Series keys by tags object: the bridge gives every point of one topic the same tags object. */
const seriesByTags = new WeakMap<object, { measurement: string; series: string }>();

/** Measurement and tags sorted by key, escaped: the series part of a line. */
function seriesKey(measurement: string, tags: Readonly<Record<string, string>>): string {
  const cached = seriesByTags.get(tags);
  if (cached !== undefined && cached.measurement === measurement) return cached.series;
  let series = escapeMeasurement(measurement);
  for (const k of Object.keys(tags).sort()) {
    const v = tags[k]!;
    if (v !== '') series += `,${escapeKey(k)}=${escapeKey(v)}`;
  }
  seriesByTags.set(tags, { measurement, series });
  return series;
}

export function toLineProtocol(points: readonly Point[]): string {
  const lines = new Array<string>(points.length);
  for (let i = 0; i < points.length; i++) {
    const point = points[i]!;
    let line = seriesKey(point.measurement, point.tags);
    let first = true;
    for (const k in point.fields) {
      line += fieldPrefix(k)[first ? 0 : 1] + fieldValue(point.fields[k]!);
      first = false;
    }
    lines[i] = line + ' ' + Math.trunc(point.timestampMs);
  }
  return lines.join('\n');
}
