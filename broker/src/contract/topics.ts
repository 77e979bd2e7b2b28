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
