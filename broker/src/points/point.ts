// What the bridge produces and the stores consume: points. Neutral ground between bridge/ and
// stores/, importing neither. A point is one of two kinds, told apart by `kind`:
//   plain  fields as an object (any codec; what the spool gives back)
//   json   fields still as the bytes of a flat JSON payload (json-point.ts), turned into an object
//          only when someone asks; the stores copy them as they are.

export type FieldValue = number | boolean | string;
export type FieldKind = 'number' | 'boolean' | 'string';

/** One row of telemetry: a series (measurement + tags) at one instant, with its fields. */
export interface PlainPoint {
  /** optional, so a point can be written as a literal; absent means 'plain' */
  readonly kind?: 'plain';
  measurement: string;
  /** read-only: points of one topic may share it */
  tags: Readonly<Record<string, string>>;
  fields: Record<string, FieldValue>;
  /** epoch ms; with the series it is the identity of the point, so writing it again overwrites */
  timestampMs: number;
}

/** The field names and kinds of a flat JSON payload, in payload order; one object per distinct shape. */
export interface FieldShape {
  /** every key in payload order, the timestamp key included, as bytes to compare the next payload with */
  readonly keyBytes: readonly Buffer[];
  /** the kind of every member's value, the timestamp's included */
  readonly keyKinds: readonly FieldKind[];
  /** member index of the timestamp key, or -1 */
  readonly timestampIndex: number;
  /** field names and kinds in payload order, the timestamp key left out */
  readonly fields: readonly string[];
  readonly kinds: readonly FieldKind[];
}

/** A point whose fields are the flat JSON object in bytes[start, end), of the given shape. */
export interface JsonPoint {
  readonly kind: 'json';
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly timestampMs: number;
  readonly shape: FieldShape;
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
  /** parsed from the bytes on first use */
  readonly fields: Record<string, FieldValue>;
}

export type Point = PlainPoint | JsonPoint;

export function kindOf(value: FieldValue): FieldKind {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
}
