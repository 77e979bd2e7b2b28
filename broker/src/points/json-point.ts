// JsonPoints (point.ts): a point that keeps the bytes of its flat JSON payload, recognised by
// flat-json.ts, for the stores to copy as they are. Why, and what the scan declines: flat-json.ts.
import type { FieldShape, FieldValue, JsonPoint, PlainPoint } from './point.ts';

/**
 * Where JsonPoints keep their payload bytes: copied into shared 64 KiB slabs, so that a point does
 * not pin the whole read buffer its payload was cut from, and costs the garbage collector an offset
 * rather than a Buffer object of its own. A slab is freed with the last point in it.
 */
const slabBytes = 64 * 1024;

/** The slab being filled; one per producer of points (a mapper), not shared at module level. */
export interface PayloadSlab {
  buffer: Buffer;
  used: number;
}

export const createPayloadSlab = (): PayloadSlab => ({ buffer: Buffer.allocUnsafeSlow(slabBytes), used: 0 });

/** A point whose fields are still its payload's bytes; `fields` is built only when someone asks. */
class PayloadPoint implements JsonPoint {
  readonly kind = 'json' as const;
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly shape: FieldShape;
  readonly timestampMs: number;
  /** the payload is bytes[start, end) */
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
  #fields: Record<string, FieldValue> | null = null;

  constructor(slab: PayloadSlab, measurement: string, tags: Readonly<Record<string, string>>, payload: Buffer, shape: FieldShape, timestampMs: number) {
    this.measurement = measurement;
    this.tags = tags;
    this.shape = shape;
    this.timestampMs = timestampMs;
    if (payload.length > slabBytes / 16) {
      this.bytes = Buffer.from(payload);
      this.start = 0;
    } else {
      if (slab.used + payload.length > slabBytes) {
        slab.buffer = Buffer.allocUnsafeSlow(slabBytes);
        slab.used = 0;
      }
      slab.buffer.set(payload, slab.used);
      this.bytes = slab.buffer;
      this.start = slab.used;
      slab.used += payload.length;
    }
    this.end = this.start + payload.length;
  }

  get fields(): Record<string, FieldValue> {
    if (this.#fields === null) {
      const parsed = JSON.parse(this.bytes.toString('latin1', this.start, this.end)) as Record<string, FieldValue>;
      const fields: Record<string, FieldValue> = {};
      for (const name of this.shape.fields) fields[name] = parsed[name]!;
      this.#fields = fields;
    }
    return this.#fields;
  }

  /** the plain point, for the spool and anything else that serialises points */
  toJSON(): PlainPoint {
    return { measurement: this.measurement, tags: this.tags, fields: this.fields, timestampMs: this.timestampMs };
  }
}

/** A JsonPoint holding a copy of `payload` (a flat JSON object of the given shape) in `slab`. */
export function createJsonPoint(slab: PayloadSlab, measurement: string, tags: Readonly<Record<string, string>>, payload: Buffer, shape: FieldShape, timestampMs: number): JsonPoint {
  return new PayloadPoint(slab, measurement, tags, payload, shape, timestampMs);
}
