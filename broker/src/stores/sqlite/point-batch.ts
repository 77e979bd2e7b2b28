// How a batch of points crosses to the database worker: a few flat arrays instead of the nested
// Point objects. Encoding plus postMessage of 5,000 points (2 tags, 3 numeric fields) costs the main
// thread a median 1.9 ms this way, against 2.4 ms for structured-cloning the Point[] and 4.1 ms for
// JSON.stringify (bench/sqlite-store.ts --encoding --runs 5, on a busy 2-core machine): the typed
// arrays are moved, not copied, and the only objects left to clone are two arrays of strings.
// A point that still holds its flat JSON payload (JsonPoint) is not parsed here: its bytes are
// copied into one buffer and the worker parses them. Reading `fields` would run JSON.parse on the
// main thread: 5,000 such points cost a median 6.8 ms that way, 2.7 ms as bytes (same bench); a
// structured clone of a JsonPoint would copy the whole slab its payload sits in.
import type { Point } from '../../points/point.ts';

export interface PointBatch {
  /** one entry per point */
  measurements: string[];
  timestampsMs: Float64Array;
  tagCounts: Uint32Array;
  fieldCounts: Uint32Array;
  /** per point, in order: its tag name/value pairs, then per field its name (and its value when a string not in `json`) */
  strings: string[];
  /** per field, in point order: 0 number, 1 boolean, 2 string */
  kinds: Uint8Array;
  /** per number or boolean (1/0) field not in `json`, in point order */
  numbers: Float64Array;
  /** the flat JSON payloads of points sent as bytes, one after another (ASCII) */
  json: Uint8Array;
  /** per point, where its payload ends in `json`; a point whose payload is empty has its values in the arrays */
  jsonEnds: Uint32Array;
}

const kindCodes = { number: 0, boolean: 1, string: 2 } as const;

export function encodeBatch(points: readonly Point[]): PointBatch {
  const n = points.length;
  const measurements = new Array<string>(n);
  const timestampsMs = new Float64Array(n);
  const tagCounts = new Uint32Array(n);
  const fieldCounts = new Uint32Array(n);
  const jsonEnds = new Uint32Array(n);
  const json = new Uint8Array(jsonBytes(points));
  const strings: string[] = [];
  const kinds: number[] = [];
  const numbers: number[] = [];
  let jsonAt = 0;
  for (let i = 0; i < n; i++) {
    const point = points[i]!;
    measurements[i] = point.measurement;
    timestampsMs[i] = point.timestampMs;
    let tags = 0;
    for (const name in point.tags) {
      strings.push(name, point.tags[name]!);
      tags++;
    }
    tagCounts[i] = tags;
    if (point.kind === 'json') {
      json.set(point.bytes.subarray(point.start, point.end), jsonAt);
      jsonAt += point.end - point.start;
      for (const name of point.shape.fields) strings.push(name);
      for (const kind of point.shape.kinds) kinds.push(kindCodes[kind]);
      fieldCounts[i] = point.shape.fields.length;
    } else {
      fieldCounts[i] = encodeFields(point.fields, strings, kinds, numbers);
    }
    jsonEnds[i] = jsonAt;
  }
  return { measurements, timestampsMs, tagCounts, fieldCounts, strings, kinds: Uint8Array.from(kinds), numbers: Float64Array.from(numbers), json, jsonEnds };
}

function jsonBytes(points: readonly Point[]): number {
  let total = 0;
  for (const point of points) if (point.kind === 'json') total += point.end - point.start;
  return total;
}

function encodeFields(fields: Point['fields'], strings: string[], kinds: number[], numbers: number[]): number {
  let count = 0;
  for (const name in fields) {
    const value = fields[name]!;
    strings.push(name);
    if (typeof value === 'number') {
      kinds.push(kindCodes.number);
      numbers.push(value);
    } else if (typeof value === 'boolean') {
      kinds.push(kindCodes.boolean);
      numbers.push(value ? 1 : 0);
    } else {
      kinds.push(kindCodes.string);
      strings.push(value);
    }
    count++;
  }
  return count;
}

/** The buffers postMessage may move instead of copy. */
export function transferables(batch: PointBatch): ArrayBuffer[] {
  return [batch.timestampsMs, batch.tagCounts, batch.fieldCounts, batch.kinds, batch.numbers, batch.json, batch.jsonEnds].map((array) => array.buffer as ArrayBuffer);
}

export interface DecodedField {
  name: string;
  kind: 0 | 1 | 2;
  /** booleans are 1/0, as they are stored */
  value: number | string;
}

export interface DecodedPoint {
  measurement: string;
  /** [name, value] pairs in the order written */
  tags: Array<[string, string]>;
  fields: DecodedField[];
  timestampMs: number;
}

/** Walks the batch point by point, in the order the points were encoded. */
export function forEachPoint(batch: PointBatch, visit: (point: DecodedPoint) => void): void {
  const json = Buffer.from(batch.json.buffer, batch.json.byteOffset, batch.json.byteLength);
  let s = 0;
  let f = 0;
  let num = 0;
  let jsonAt = 0;
  for (let i = 0; i < batch.measurements.length; i++) {
    const tags: Array<[string, string]> = [];
    for (let t = 0; t < batch.tagCounts[i]!; t++, s += 2) tags.push([batch.strings[s]!, batch.strings[s + 1]!]);
    const jsonEnd = batch.jsonEnds[i]!;
    const parsed = jsonEnd > jsonAt ? (JSON.parse(json.toString('latin1', jsonAt, jsonEnd)) as Record<string, number | boolean | string>) : null;
    jsonAt = jsonEnd;
    const fields: DecodedField[] = [];
    for (let k = 0; k < batch.fieldCounts[i]!; k++, f++) {
      const name = batch.strings[s++]!;
      const kind = batch.kinds[f] as DecodedField['kind'];
      let value: number | string;
      if (parsed) {
        const raw = parsed[name]!;
        value = typeof raw === 'boolean' ? Number(raw) : raw;
      } else value = kind === kindCodes.string ? batch.strings[s++]! : batch.numbers[num++]!;
      fields.push({ name, kind, value });
    }
    visit({ measurement: batch.measurements[i]!, tags, fields, timestampMs: batch.timestampsMs[i]! });
  }
}
