// Who is asking and for what: the request is authenticated like the API (Bearer header, or
// ?token= for EventSource, which cannot send headers), and each filter is checked against the ACL.
import type { IncomingHttpHeaders } from 'node:http';
import type { AccessControl } from '../auth/index.ts';
import type { Identity } from '../contract/index.ts';
import type { WireSubscribed } from './wire.ts';

export const maxFiltersPerRequest = 32;

/** An MQTT topic filter [MQTT-4.7.1]: `#` alone and last, `+` a whole level, no empty filter. */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.length > 1024 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => (level.includes('#') ? level === '#' && i === levels.length - 1 : !level.includes('+') || level === '+'));
}

export async function authenticate(access: Pick<AccessControl, 'authenticateRequest'>, headers: IncomingHttpHeaders, queryToken: string | undefined): Promise<Identity | null> {
  if (!headers.authorization && queryToken) return access.authenticateRequest({ ...headers, authorization: `Bearer ${queryToken}` });
  return access.authenticateRequest(headers);
}

export function authorizeFilters(access: Pick<AccessControl, 'acl'>, identity: Identity, filters: readonly string[]): WireSubscribed {
  const granted: string[] = [];
  const refused: string[] = [];
  for (const f of new Set(filters)) {
    if (isValidFilter(f) && access.acl.canSubscribe(identity, f)) granted.push(f);
    else refused.push(f);
  }
  return { granted, refused };
}

/** `?filter=a&filter=b` as fastify parses it: a string or an array. */
export function filtersOf(query: unknown): string[] {
  const raw = (query as { filter?: unknown } | undefined)?.filter;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((f): f is string => typeof f === 'string').slice(0, maxFiltersPerRequest);
}
