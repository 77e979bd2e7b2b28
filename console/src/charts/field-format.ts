// One field's value as text, from its declared format (GET /api/console-settings): precision,
// unit, and 'state' fields as on/off. Values without a declared format keep what they came with.
import type { FieldFormat } from '@telemq/broker/contract';

export type FieldFormats = Readonly<Record<string, FieldFormat>>;

export function fieldLabel(name: string, formats: FieldFormats): string {
  return formats[name]?.label ?? name;
}

export function fieldUnit(name: string, formats: FieldFormats): string {
  return formats[name]?.unit ?? '';
}

export function isStateField(name: string, formats: FieldFormats): boolean {
  return formats[name]?.kind === 'state';
}

/** one Intl formatter per precision: making one costs far more than using it */
const formatters = new Map<number, Intl.NumberFormat>();

/** The number alone, at the declared precision (grouped thousands), or as it came. */
export function formatNumber(value: number, precision: number | undefined): string {
  if (precision === undefined) return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(8)));
  let f = formatters.get(precision);
  if (!f) formatters.set(precision, (f = new Intl.NumberFormat('en-US', { minimumFractionDigits: precision, maximumFractionDigits: precision })));
  return f.format(value);
}

/** "21.35 °C", "52.536213 °", "on"; a boolean or text as it is. */
export function formatField(name: string, value: unknown, formats: FieldFormats): string {
  const format = formats[name];
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value !== 'number') return String(value);
  if (format?.kind === 'state') return value === 0 ? 'off' : value === 1 ? 'on' : String(value);
  const text = formatNumber(value, format?.precision);
  if (!format?.unit) return text;
  return format.unit === '%' || format.unit === '°' ? `${text}${format.unit}` : `${text} ${format.unit}`;
}
