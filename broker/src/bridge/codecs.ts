// Payload codecs: bytes → fields and an optional timestamp. Pure; a Protobuf type is loaded once
// when the rules are compiled.
import protobuf from 'protobufjs';
import { AppError } from '../errors.ts';
import { createShapeCache, scanFlatJson, type FlatJson } from '../points/flat-json.ts';
import type { FieldValue } from '../points/point.ts';
import type { BridgeCodec } from './config.ts';

/** Decoded fields, or for a flat JSON object only its shape (the fields stay in the payload's bytes). */
export type Decoded = { ok: true; fields: Record<string, FieldValue>; timestampMs: number | null } | FlatJson | { ok: false; detail: string };
export type Decoder = (payload: Buffer) => Decoded;

const numberText = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function compileCodec(codec: BridgeCodec, ruleName: string): Decoder {
  switch (codec.type) {
    case 'json': {
      const shapes = createShapeCache();
      return (payload) => scanFlatJson(payload, codec.timestampField, shapes) ?? decodeJson(payload, codec.separator, codec.timestampField);
    }
    case 'number':
      return (payload) => {
        const text = payload.toString('utf8').trim();
        const value = Number(text);
        if (!numberText.test(text) || !Number.isFinite(value)) return { ok: false, detail: 'not a number' };
        return { ok: true, fields: { [codec.field]: value }, timestampMs: null };
      };
    case 'boolean':
      return (payload) => {
        const text = payload.toString('utf8').trim();
        if (text !== 'true' && text !== 'false') return { ok: false, detail: 'not true or false' };
        return { ok: true, fields: { [codec.field]: text === 'true' }, timestampMs: null };
      };
    case 'protobuf': {
      let type: protobuf.Type;
      try {
        type = protobuf.loadSync(codec.protoFile).lookupType(codec.messageType);
      } catch (cause) {
        throw new AppError('RULE_INVALID', `bridge rule "${ruleName}": cannot load ${codec.messageType} from ${codec.protoFile}: ${(cause as Error).message}`, { cause });
      }
      return (payload) => {
        let value: Record<string, unknown>;
        try {
          value = type.toObject(type.decode(payload), { longs: Number, enums: String, defaults: true });
        } catch (err) {
          return { ok: false, detail: `not a ${codec.messageType}: ${(err as Error).message}` };
        }
        return fromObject(value, codec.separator, codec.timestampField);
      };
    }
  }
}

/** The JSON codec's general path, for whatever the flat scan declines. */
export function decodeJson(payload: Buffer, separator: string, timestampField: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, detail: 'not JSON' };
  }
  if (!isObject(value)) return { ok: false, detail: 'JSON is not an object' };
  return fromObject(value, separator, timestampField);
}

function fromObject(value: Record<string, unknown>, separator: string, timestampField: string): Decoded {
  let timestampMs: number | null = null;
  const ts = value[timestampField];
  if (ts !== undefined && ts !== null) {
    timestampMs = typeof ts === 'number' ? ts : typeof ts === 'string' ? Date.parse(ts) : NaN;
    if (!Number.isSafeInteger(Math.trunc(timestampMs)) || timestampMs < 0) return { ok: false, detail: `${timestampField} is not epoch ms or ISO 8601` };
    timestampMs = Math.trunc(timestampMs);
  }
  const fields: Record<string, FieldValue> = {};
  flatten(value, '', separator, fields, timestampField);
  let empty = true;
  for (const _ in fields) {
    empty = false;
    break;
  }
  if (empty) return { ok: false, detail: 'no fields' };
  return { ok: true, fields, timestampMs };
}

/** Numbers, booleans and strings become fields; nested objects are flattened; arrays and nulls are skipped. */
function flatten(value: Record<string, unknown>, prefix: string, separator: string, out: Record<string, FieldValue>, timestampField: string): void {
  for (const key in value) {
    if (prefix === '' && key === timestampField) continue;
    const inner = value[key];
    const name = prefix === '' ? key : `${prefix}${separator}${key}`;
    if (typeof inner === 'number') {
      if (Number.isFinite(inner)) out[name] = inner;
    } else if (typeof inner === 'boolean' || typeof inner === 'string') {
      out[name] = inner;
    } else if (isObject(inner)) {
      flatten(inner, name, separator, out, timestampField);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}
