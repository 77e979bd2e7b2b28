// Batched line protocol for the write hot path. The `influx` package's writePoints serialises each
// point through generic, regex-based escaping and option handling, which on this machine costs about
// 40 % of the throughput influxd can take (see bench/bridge-influx-write.ts). This serialiser writes
// the same InfluxDB 1.x line protocol, escaping only strings that need it, and caches each series key.
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
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const escapedKeys = new Map<string, string>();

/** Field keys repeat from point to point: escape each once (the cache is bounded). */
function fieldKey(key: string): string {
  let escaped = escapedKeys.get(key);
  if (escaped === undefined) {
    if (escapedKeys.size >= 10_000) escapedKeys.clear();
    escaped = escapeKey(key);
    escapedKeys.set(key, escaped);
  }
  return escaped;
}

/** Serialises points; each series key (measurement and sorted tags) is built once per batch. */
export function toLineProtocol(points: readonly Point[]): string {
  const seriesCache = new Map<string, string>();
  let out = '';
  for (let i = 0; i < points.length; i++) {
    const point = points[i]!;
    let rawKey = point.measurement;
    let tagCount = 0;
    for (const k in point.tags) {
      rawKey += `\u0000${k}\u0000${point.tags[k]}`;
      tagCount++;
    }
    let series = seriesCache.get(rawKey);
    if (series === undefined) {
      series = escapeMeasurement(point.measurement);
      const tagKeys = tagCount > 1 ? Object.keys(point.tags).sort() : Object.keys(point.tags);
      for (const k of tagKeys) {
        const v = point.tags[k]!;
        if (v !== '') series += `,${escapeKey(k)}=${escapeKey(v)}`;
      }
      seriesCache.set(rawKey, series);
    }
    let fields = '';
    for (const k in point.fields) {
      fields += `${fields === '' ? '' : ','}${fieldKey(k)}=${fieldValue(point.fields[k]!)}`;
    }
    out += `${i === 0 ? '' : '\n'}${series} ${fields} ${Math.trunc(point.timestampMs)}`;
  }
  return out;
}
