// Rooms: each role maps to topic patterns with {deviceId} / {username} placeholders, filled with the
// identity's subject. Publishing needs a pattern that matches the topic; subscribing needs a pattern
// that covers the whole filter (a filter is never wider than what its role allows), so a device's
// `#` or `devices/+/…` is refused while `devices/{deviceId}/commands/#` is granted.
// Deny patterns are checked first: a topic a deny pattern matches is never published, a filter
// lying inside one is refused, and a wider filter is granted without the denied topics (every
// delivery is checked again, see canReceive).
import { filterCovers, levelsMatch, type Identity } from '../contract/index.ts';
import type { SubscribeVerdict, TopicAcl } from './index.ts';

export interface RolePatterns {
  publish: readonly string[];
  subscribe: readonly string[];
  denyPublish?: readonly string[] | undefined;
  denySubscribe?: readonly string[] | undefined;
}

interface CompiledRole {
  publish: string[][];
  subscribe: string[][];
  denyPublish: string[][];
  denySubscribe: string[][];
}

/** Characters a subject may have to be put into a topic pattern: no level separator, no wildcard. */
export function isTopicSafeSubject(subject: string): boolean {
  return subject.length > 0 && !/[/+#]/.test(subject) && !subject.includes('\u0000');
}

export function createTopicAcl(roles: Readonly<Record<string, RolePatterns>>): TopicAcl & { knowsRole(role: string): boolean; explainSubscribe(identity: Identity, filter: string): SubscribeVerdict } {
  // Compiled once per identity; an identity object lives as long as its connection.
  const cache = new WeakMap<Identity, CompiledRole | null>();

  function compiled(identity: Identity): CompiledRole | null {
    let role = cache.get(identity);
    if (role !== undefined) return role;
    const patterns = Object.hasOwn(roles, identity.role) ? roles[identity.role] : undefined;
    const fillAll = (list: readonly string[] | undefined) => (list ?? []).map((p) => fill(p, identity.subject));
    role =
      patterns && isTopicSafeSubject(identity.subject)
        ? { publish: fillAll(patterns.publish), subscribe: fillAll(patterns.subscribe), denyPublish: fillAll(patterns.denyPublish), denySubscribe: fillAll(patterns.denySubscribe) }
        : null;
    cache.set(identity, role);
    return role;
  }

  /** the deny pattern a filter lies in, else the subscribe pattern that allows it (role null: none) */
  function judgeSubscribe(identity: Identity, filter: string): { role: CompiledRole | null; denied?: readonly string[]; allowedBy?: readonly string[] } {
    const role = compiled(identity);
    if (!role) return { role };
    const levels = filter.split('/');
    const denied = role.denySubscribe.find((pattern) => filterCovers(pattern, levels));
    if (denied) return { role, denied };
    return { role, allowedBy: role.subscribe.find((pattern) => filterCovers(pattern, levels)) };
  }

  return {
    knowsRole: (role) => Object.hasOwn(roles, role),
    canPublish(identity, topic) {
      const role = compiled(identity);
      if (!role) return false;
      const levels = topic.split('/');
      if (role.denyPublish.some((pattern) => levelsMatch(pattern, levels))) return false;
      return role.publish.some((pattern) => levelsMatch(pattern, levels));
    },
    canSubscribe: (identity, filter) => judgeSubscribe(identity, filter).allowedBy !== undefined,
    // canSubscribe's decision with the pattern that made it, for a person (asked after a refusal).
    explainSubscribe(identity, filter) {
      const { role, denied, allowedBy } = judgeSubscribe(identity, filter);
      if (!role) return { allowed: false, reason: 'unknown-role', role: identity.role, patterns: [] };
      if (denied) return { allowed: false, reason: 'denied', role: identity.role, patterns: [denied.join('/')] };
      if (allowedBy) return { allowed: true, role: identity.role, patterns: [allowedBy.join('/')] };
      return { allowed: false, reason: 'not-allowed', role: identity.role, patterns: role.subscribe.map((p) => p.join('/')) };
    },
  };
}

/** Whether a message on `topic` may be delivered to `identity` (authorizeForward). */
export function canReceive(acl: TopicAcl, identity: Identity, topic: string): boolean {
  // A concrete topic is a filter without wildcards: covered exactly when some pattern matches it.
  return acl.canSubscribe(identity, topic);
}

function fill(pattern: string, subject: string): string[] {
  return fillPattern(pattern, subject).split('/');
}

/** A role pattern with its placeholders filled by the identity's subject. */
export function fillPattern(pattern: string, subject: string): string {
  return pattern.replaceAll('{deviceId}', subject).replaceAll('{username}', subject);
}
