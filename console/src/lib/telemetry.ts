// Reading telemetry payloads: a JSON object of fields with an optional "ts" in epoch ms.

const decoder = new TextDecoder();

export type JsonParse = { ok: true; value: unknown; text: string } | { ok: false; text: string };

export function parseJsonPayload(payload: Uint8Array): JsonParse {
  const text = decoder.decode(payload);
  try {
    return { ok: true, value: JSON.parse(text) as unknown, text };
  } catch {
    return { ok: false, text };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Numeric leaves of a JSON object, nested keys joined with `separator` (a_b), "ts" excluded. */
export function numericFields(value: Record<string, unknown>, separator = '_', prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (prefix === '' && key === 'ts') continue;
    const name = prefix ? `${prefix}${separator}${key}` : key;
    if (typeof v === 'number' && Number.isFinite(v)) out[name] = v;
    else if (isRecord(v)) Object.assign(out, numericFields(v, separator, name));
  }
  return out;
}

export interface TelemetrySample {
  tMs: number;
  fields: Record<string, number>;
}

/** The sample a telemetry message carries; `receivedAtMs` when it has no valid "ts". */
export function readTelemetry(payload: Uint8Array, receivedAtMs: number): TelemetrySample | undefined {
  const parsed = parseJsonPayload(payload);
  if (!parsed.ok || !isRecord(parsed.value)) return undefined;
  const ts = parsed.value.ts;
  const tMs = typeof ts === 'number' && Number.isFinite(ts) && ts > 0 ? ts : receivedAtMs;
  return { tMs, fields: numericFields(parsed.value) };
}
