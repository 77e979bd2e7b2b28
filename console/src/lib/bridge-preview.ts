// What the bridge would write for a message: measurement, tags, fields and timestamp, or the
// reason it would be dead-lettered, under the broker's configured rules (GET /api/bridge-rules).
// The decoding mirrors broker/src/bridge/mapping.ts and codecs.ts, which cannot run in a browser
// as they are (they use Node's Buffer and protobufjs); test/console/bridge-preview-parity.test.ts
// runs both on the same table so they cannot drift.
import { topicMatches, type BridgeRuleCodec, type BridgeRuleInfo, type BridgeRulesResponse } from '@telemq/broker/contract';

export type PreviewCodec = BridgeRuleCodec;
export type PreviewRule = BridgeRuleInfo;

export type FieldValue = number | boolean | string;
export type DeadLetterReason = 'no-rule' | 'undecodable' | 'invalid-name';

export type BridgePreview =
  | { ok: true; rule: string; measurement: string; tags: Record<string, string>; fields: Record<string, FieldValue>; timestampMs: number }
  | { ok: false; reason: DeadLetterReason; detail: string; rule?: string }
  /** not telemetry (bridge.ignoreTopics), or the bridge is off: neither stored nor dead-lettered */
  | { ok: false; reason: 'ignored' | 'bridge-off'; detail: string; rule?: undefined };

type Decoded = { ok: true; fields: Record<string, FieldValue>; timestampMs: number | null } | { ok: false; detail: string };

const decoder = new TextDecoder();
const numberText = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// eslint-disable-next-line no-control-regex
const badName = /^$|[\u0000-\u001f\u007f]/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function flatten(value: Record<string, unknown>, prefix: string, separator: string, out: Record<string, FieldValue>, timestampField: string): void {
  for (const [key, inner] of Object.entries(value)) {
    if (prefix === '' && key === timestampField) continue;
    const name = prefix === '' ? key : `${prefix}${separator}${key}`;
    if (typeof inner === 'number') {
      if (Number.isFinite(inner)) out[name] = inner;
    } else if (typeof inner === 'boolean' || typeof inner === 'string') out[name] = inner;
    else if (isObject(inner)) flatten(inner, name, separator, out, timestampField);
  }
}

function decodeJson(text: string, separator: string, timestampField: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, detail: 'not JSON' };
  }
  if (!isObject(value)) return { ok: false, detail: 'JSON is not an object' };
  let timestampMs: number | null = null;
  const ts = value[timestampField];
  if (ts !== undefined && ts !== null) {
    timestampMs = typeof ts === 'number' ? ts : typeof ts === 'string' ? Date.parse(ts) : NaN;
    if (!Number.isSafeInteger(Math.trunc(timestampMs)) || timestampMs < 0) return { ok: false, detail: `${timestampField} is not epoch ms or ISO 8601` };
    timestampMs = Math.trunc(timestampMs);
  }
  const fields: Record<string, FieldValue> = {};
  flatten(value, '', separator, fields, timestampField);
  if (Object.keys(fields).length === 0) return { ok: false, detail: 'no fields' };
  return { ok: true, fields, timestampMs };
}

function decode(codec: PreviewCodec, payload: Uint8Array): Decoded {
  const text = decoder.decode(payload);
  switch (codec.type) {
    case 'json':
      return decodeJson(text, codec.separator, codec.timestampField);
    case 'number': {
      const t = text.trim();
      const value = Number(t);
      return numberText.test(t) && Number.isFinite(value) ? { ok: true, fields: { [codec.field]: value }, timestampMs: null } : { ok: false, detail: 'not a number' };
    }
    case 'boolean': {
      const t = text.trim();
      return t === 'true' || t === 'false' ? { ok: true, fields: { [codec.field]: t === 'true' }, timestampMs: null } : { ok: false, detail: 'not true or false' };
    }
    case 'protobuf':
      return { ok: false, detail: 'Protobuf payloads are previewed by the broker only' };
  }
}

/** What the bridge would do with a message, under the broker's configuration. */
export function previewMessage(topic: string, payload: Uint8Array, receivedAtMs: number, bridge: BridgeRulesResponse): BridgePreview {
  if (!bridge.enabled) return { ok: false, reason: 'bridge-off', detail: 'the bridge is disabled on this broker: nothing is stored' };
  const preview = previewBridge(topic, payload, receivedAtMs, bridge.rules);
  if (!preview.ok && preview.reason === 'no-rule' && bridge.ignoreTopics.some((f) => topicMatches(f, topic))) {
    return { ok: false, reason: 'ignored', detail: 'not telemetry: the topic is in bridge.ignoreTopics' };
  }
  return preview;
}

export function previewBridge(topic: string, payload: Uint8Array, receivedAtMs: number, rules: readonly PreviewRule[]): BridgePreview {
  const rule = rules.find((r) => topicMatches(r.topic, topic));
  if (!rule) return { ok: false, reason: 'no-rule', detail: 'no bridge rule matches the topic' };
  const levels = topic.split('/');
  const decoded = decode(rule.codec, payload);
  if (!decoded.ok) return { ok: false, reason: 'undecodable', detail: decoded.detail, rule: rule.name };
  const level = /^\{(\d+)\}$/.exec(rule.measurement);
  const measurement = level ? (levels[Number(level[1])] ?? '') : rule.measurement;
  const tags: Record<string, string> = {};
  for (const [name, at] of Object.entries(rule.tags)) tags[name] = levels[at] ?? '';
  const bad = [measurement, ...Object.values(tags), ...Object.keys(decoded.fields)].find((n) => badName.test(n));
  if (bad !== undefined) return { ok: false, reason: 'invalid-name', detail: `empty name or control character in ${JSON.stringify(bad)}`, rule: rule.name };
  return { ok: true, rule: rule.name, measurement, tags, fields: decoded.fields, timestampMs: decoded.timestampMs ?? receivedAtMs };
}
