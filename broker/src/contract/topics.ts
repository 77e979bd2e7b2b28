// Topic grammar shared by the broker, the console and the simulator.
// This module imports nothing, so any package can use it.

export const TOPIC_ROOT = 'devices' as const;

export const topics = {
  telemetry: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/telemetry`,
  status: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/status`,
  command: (deviceId: string, name: string) => `${TOPIC_ROOT}/${deviceId}/commands/${name}`,
  commands: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/commands/#`,
  reply: (deviceId: string, name: string) => `${TOPIC_ROOT}/${deviceId}/replies/${name}`,
  replies: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/replies/#`,
  allTelemetry: `${TOPIC_ROOT}/+/telemetry`,
  allStatus: `${TOPIC_ROOT}/+/status`,
  allReplies: `${TOPIC_ROOT}/+/replies/#`,
  sys: (brokerId: string, path: string) => `$SYS/${brokerId}/${path}`,
  deadLetter: (reason: string) => `$telemq/deadletter/${reason}`,
} as const;

export type DeviceStatus = 'online' | 'offline';

export type TopicKind = 'telemetry' | 'status' | 'command' | 'reply';

export interface ParsedDeviceTopic {
  deviceId: string;
  kind: TopicKind;
  /** command or reply name, when kind is command or reply */
  name?: string;
}

/** Parses `devices/{id}/{kind}[/{name}]`; returns undefined for any other topic. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | undefined {
  const levels = topic.split('/');
  if (levels[0] !== TOPIC_ROOT || levels.length < 3) return undefined;
  const deviceId = levels[1]!;
  const kind = levels[2];
  if (deviceId === '') return undefined;
  if (kind === 'telemetry' && levels.length === 3) return { deviceId, kind };
  if (kind === 'status' && levels.length === 3) return { deviceId, kind };
  if (kind === 'commands' && levels.length === 4) return { deviceId, kind: 'command', name: levels[3]! };
  if (kind === 'replies' && levels.length === 4) return { deviceId, kind: 'reply', name: levels[3]! };
  return undefined;
}

/**
 * MQTT topic filter matching [MQTT-4.7]: `+` one level, `#` the rest (including the parent),
 * and filters starting with a wildcard never match topics starting with `$` [MQTT-4.7.2-1].
 */
export function topicMatches(filter: string, topic: string): boolean {
  return levelsMatch(filter.split('/'), topic.split('/'));
}

/** topicMatches on levels already split, for callers that split a filter once and match it often. */
export function levelsMatch(filter: readonly string[], topic: readonly string[]): boolean {
  if (topic[0]!.startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return false;
  for (let i = 0; i < filter.length; i++) {
    const level = filter[i];
    if (level === '#') return true;
    if (i >= topic.length) return false;
    if (level !== '+' && level !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

/** Why a string is not a valid topic name or filter; null when it is. */
export type TopicProblem =
  /** [MQTT-4.7.3-1] */
  | 'empty'
  /** U+0000 [MQTT-4.7.3-2] */
  | 'nul'
  /** a lone surrogate: no well-formed UTF-8 encodes it [MQTT-1.5.3-1] */
  | 'malformed_utf8'
  /** over 65,535 bytes of UTF-8 [MQTT-4.7.3-3] */
  | 'too_long'
  /** `+` or `#` in a topic name [MQTT-3.3.2-2] */
  | 'wildcard_in_name'
  /** `#` not alone in the last level [MQTT-4.7.1-2] */
  | 'misplaced_hash'
  /** `+` not alone in its level [MQTT-4.7.1-3] */
  | 'misplaced_plus';

export const topicProblemText: Readonly<Record<TopicProblem, string>> = {
  empty: 'a topic must have at least one character',
  nul: 'a topic must not contain U+0000',
  malformed_utf8: 'a topic must be well-formed UTF-8',
  too_long: 'a topic must be at most 65535 bytes of UTF-8',
  wildcard_in_name: 'a topic name must not contain + or #',
  misplaced_hash: '# must be alone in the last level of a filter',
  misplaced_plus: '+ must be alone in its level of a filter',
};

const maxTopicBytes = 65_535;

/**
 * One pass over a topic name or filter: the character rules shared by both, and the wildcard
 * rules of the one it is. Costs a scan of the string, nothing more (it runs for every PUBLISH).
 */
function scanTopic(topic: string, isFilter: boolean): TopicProblem | null {
  if (topic.length === 0) return 'empty';
  let bytes = 0;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c < 0x80) {
      bytes++;
      if (c === 0) return 'nul';
      if (c === 35 /* # */ || c === 43 /* + */) {
        if (!isFilter) return 'wildcard_in_name';
        const alone = (i === 0 || topic.charCodeAt(i - 1) === 47) && (i === topic.length - 1 || topic.charCodeAt(i + 1) === 47);
        if (!alone) return c === 35 ? 'misplaced_hash' : 'misplaced_plus';
        if (c === 35 && i !== topic.length - 1) return 'misplaced_hash';
      }
    } else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = topic.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return 'malformed_utf8';
      bytes += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return 'malformed_utf8';
    else bytes += 3;
  }
  return bytes > maxTopicBytes ? 'too_long' : null;
}

/** Why `topic` cannot be published to (null: it can) [MQTT-4.7]. `$` topics are valid names; matching keeps them apart. */
export function topicNameProblem(topic: string): TopicProblem | null {
  return scanTopic(topic, false);
}

/** Why `filter` cannot be subscribed to (null: it can) [MQTT-4.7.1]. */
export function topicFilterProblem(filter: string): TopicProblem | null {
  return scanTopic(filter, true);
}

/** Topics beginning with `$` are the server's [MQTT-4.7.2-1]: wildcards at the first level never reach them. */
export function isReservedTopic(topic: string): boolean {
  return topic.charCodeAt(0) === 36;
}

/**
 * Whether every topic `filter` can match is also matched by `pattern` (both split into levels):
 * the filter lies wholly inside the pattern. `$` topics are only inside patterns that name them.
 */
export function filterCovers(pattern: readonly string[], filter: readonly string[]): boolean {
  if (filter[0]?.startsWith('$') && (pattern[0] === '+' || pattern[0] === '#')) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '#') return true;
    const f = filter[i];
    if (f === undefined) return false;
    if (f === '#') return false; // the filter reaches deeper than the pattern allows
    if (p === '+') continue; // covers a literal or a `+`
    if (f === '+' || f !== p) return false;
  }
  return pattern.length === filter.length;
}
