// What the bridge would write for a message, by the same rules it runs with: measurement, tags,
// fields and timestamp, or the reason it would be dead-lettered. The default rule mirrors the
// broker's default bridge config (devices/+/telemetry → measurement telemetry, tag device_id).
import { topicMatches } from '@telemq/broker/contract';
import { isRecord, numericFields, parseJsonPayload } from './telemetry.ts';

export interface PreviewRule {
  name: string;
  topic: string;
  /** fixed name, or `{N}` for topic level N */
  measurement: string;
  /** tag name → topic level */
  tags: Record<string, number>;
  codec: { type: 'json'; separator: string } | { type: 'number'; field: string } | { type: 'protobuf' };
}

export const defaultRules: readonly PreviewRule[] = [
  { name: 'telemetry', topic: 'devices/+/telemetry', measurement: 'telemetry', tags: { device_id: 1 }, codec: { type: 'json', separator: '_' } },
];

export type DeadLetterReason = 'no-rule' | 'invalid-json' | 'not-an-object' | 'no-fields' | 'not-a-number' | 'bad-timestamp' | 'unsupported-codec';

export type BridgePreview =
  | { ok: true; rule: string; measurement: string; tags: Record<string, string>; fields: Record<string, number>; timestampMs: number }
  | { ok: false; reason: DeadLetterReason; rule?: string };

function levelName(template: string, levels: string[]): string {
  const m = /^\{(\d+)\}$/.exec(template);
  return m ? (levels[Number(m[1])] ?? '') : template;
}

export function previewBridge(topic: string, payload: Uint8Array, receivedAtMs: number, rules: readonly PreviewRule[] = defaultRules): BridgePreview {
  const rule = rules.find((r) => topicMatches(r.topic, topic));
  if (!rule) return { ok: false, reason: 'no-rule' };
  const levels = topic.split('/');
  const tags: Record<string, string> = {};
  for (const [tag, level] of Object.entries(rule.tags)) tags[tag] = levels[level] ?? '';
  const measurement = levelName(rule.measurement, levels);
  const parsed = parseJsonPayload(payload);
  if (rule.codec.type === 'protobuf') return { ok: false, reason: 'unsupported-codec', rule: rule.name };
  if (rule.codec.type === 'number') {
    const value = Number(parsed.text.trim());
    if (parsed.text.trim() === '' || !Number.isFinite(value)) return { ok: false, reason: 'not-a-number', rule: rule.name };
    return { ok: true, rule: rule.name, measurement, tags, fields: { [rule.codec.field]: value }, timestampMs: receivedAtMs };
  }
  if (!parsed.ok) return { ok: false, reason: 'invalid-json', rule: rule.name };
  if (!isRecord(parsed.value)) return { ok: false, reason: 'not-an-object', rule: rule.name };
  const ts = parsed.value.ts;
  if (ts !== undefined && (typeof ts !== 'number' || !Number.isFinite(ts) || ts <= 0)) return { ok: false, reason: 'bad-timestamp', rule: rule.name };
  const fields = numericFields(parsed.value, rule.codec.separator);
  if (Object.keys(fields).length === 0) return { ok: false, reason: 'no-fields', rule: rule.name };
  return { ok: true, rule: rule.name, measurement, tags, fields, timestampMs: typeof ts === 'number' ? ts : receivedAtMs };
}
