// A payload in one short line for the topic tree: a JSON object's fields by name with their
// configured units and precision ("temperature 21.35 °C · humidity 45.0%"), other text as it is.
import { formatField, isStateField, type FieldFormats } from '../charts/field-format.ts';
import { isRecord, parseJsonPayload } from '../lib/telemetry.ts';

function flat(value: Record<string, unknown>, prefix: string, out: Array<[string, unknown]>): void {
  for (const [key, v] of Object.entries(value)) {
    if (prefix === '' && key === 'ts') continue;
    const name = prefix ? `${prefix}_${key}` : key;
    if (isRecord(v)) flat(v, name, out);
    else if (!Array.isArray(v)) out.push([name, v]);
  }
}

/** a payload's summary, kept while the payload is held (the tree re-renders the same last values) */
const summaries = new WeakMap<Uint8Array, { formats: FieldFormats; maxChars: number; text: string }>();

export function summarizePayload(payload: Uint8Array, formats: FieldFormats, maxChars = 120): string {
  const known = summaries.get(payload);
  if (known && known.formats === formats && known.maxChars === maxChars) return known.text;
  const text = summarize(payload, formats, maxChars);
  summaries.set(payload, { formats, maxChars, text });
  return text;
}

function summarize(payload: Uint8Array, formats: FieldFormats, maxChars: number): string {
  const parsed = parseJsonPayload(payload);
  let text: string;
  if (parsed.ok && isRecord(parsed.value)) {
    const fields: Array<[string, unknown]> = [];
    flat(parsed.value, '', fields);
    // a boolean is on/off only where the field is declared a state; elsewhere it reads as sent
    const show = (name: string, v: unknown) => (typeof v === 'boolean' && !isStateField(name, formats) ? String(v) : formatField(name, v, formats));
    text = fields.map(([name, v]) => `${name} ${show(name, v)}`).join(' · ');
  } else text = parsed.text;
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}
