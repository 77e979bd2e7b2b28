// Rooms: each role maps to topic patterns with {deviceId} / {username} placeholders, filled with the
// identity's subject. Publishing needs a pattern that matches the topic; subscribing needs a pattern
// that covers the whole filter (a filter is never wider than what its role allows), so a device's
// `#` or `devices/+/…` is refused while `devices/{deviceId}/commands/#` is granted.
import { levelsMatch, type Identity } from '../contract/index.ts';
import type { TopicAcl } from './index.ts';

export interface RolePatterns {
  publish: readonly string[];
  subscribe: readonly string[];
}

interface CompiledRole {
  publish: string[][];
  subscribe: string[][];
}

/** Characters a subject may have to be put into a topic pattern: no level separator, no wildcard. */
export function isTopicSafeSubject(subject: string): boolean {
  return subject.length > 0 && !/[/+#]/.test(subject) && !subject.includes('\u0000');
}

export function createTopicAcl(roles: Readonly<Record<string, RolePatterns>>): TopicAcl & { knowsRole(role: string): boolean } {
  // Compiled once per identity; an identity object lives as long as its connection.
  const cache = new WeakMap<Identity, CompiledRole | null>();

  function compiled(identity: Identity): CompiledRole | null {
    let role = cache.get(identity);
    if (role !== undefined) return role;
    const patterns = Object.hasOwn(roles, identity.role) ? roles[identity.role] : undefined;
    role =
      patterns && isTopicSafeSubject(identity.subject)
        ? { publish: patterns.publish.map((p) => fill(p, identity.subject)), subscribe: patterns.subscribe.map((p) => fill(p, identity.subject)) }
        : null;
    cache.set(identity, role);
    return role;
  }

  return {
    knowsRole: (role) => Object.hasOwn(roles, role),
    canPublish(identity, topic) {
      const role = compiled(identity);
      if (!role) return false;
      const levels = topic.split('/');
      return role.publish.some((pattern) => levelsMatch(pattern, levels));
    },
    canSubscribe(identity, filter) {
      const role = compiled(identity);
      if (!role) return false;
      const levels = filter.split('/');
      return role.subscribe.some((pattern) => patternCoversFilter(pattern, levels));
    },
  };
}

/** Whether a message on `topic` may be delivered to `identity` (authorizeForward). */
export function canReceive(acl: TopicAcl, identity: Identity, topic: string): boolean {
  // A concrete topic is a filter without wildcards: covered exactly when some pattern matches it.
  return acl.canSubscribe(identity, topic);
}

function fill(pattern: string, subject: string): string[] {
  return pattern.replaceAll('{deviceId}', subject).replaceAll('{username}', subject).split('/');
}

/** Whether every topic the filter can match is also matched by the pattern. */
export function patternCoversFilter(pattern: readonly string[], filter: readonly string[]): boolean {
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
