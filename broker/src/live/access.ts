// Who is asking and for what: the request is authenticated like the API (Bearer header, or
// ?token= for EventSource, which cannot send headers), and each filter is checked against the ACL.
import type { IncomingHttpHeaders } from 'node:http';
import { canReceive } from '../auth/acl.ts';
import type { AccessControl } from '../auth/index.ts';
import type { PublishedMessage } from '../broker/types.ts';
import { topicFilterProblem, topicProblemText, type Identity } from '../contract/index.ts';
import type { WireSubscribed } from './wire.ts';

export const maxFiltersPerRequest = 32;
const maxFilterLength = 1024;

/** Why a request's filters cannot be used (answered 400), as MQTT would close the connection [MQTT-4.7.1]; null when they can. */
export function filtersProblem(filters: readonly string[]): string | null {
  if (filters.length === 0) return 'at least one filter= is required';
  for (const filter of filters) {
    const named = `filter ${JSON.stringify(filter.slice(0, 64))}`;
    if (filter.length > maxFilterLength) return `${named} is longer than ${maxFilterLength} characters`;
    const problem = topicFilterProblem(filter);
    if (problem) return `${named}: ${topicProblemText[problem]}`;
  }
  return null;
}

export async function authenticate(access: Pick<AccessControl, 'authenticateRequest'>, headers: IncomingHttpHeaders, queryToken: string | undefined): Promise<Identity | null> {
  if (!headers.authorization && queryToken) return access.authenticateRequest({ ...headers, authorization: `Bearer ${queryToken}` });
  return access.authenticateRequest(headers);
}

export function authorizeFilters(access: Pick<AccessControl, 'acl'>, identity: Identity, filters: readonly string[]): WireSubscribed {
  const granted: string[] = [];
  const refused: string[] = [];
  for (const f of new Set(filters)) {
    if (access.acl.canSubscribe(identity, f)) granted.push(f);
    else refused.push(f);
  }
  return { granted, refused };
}

/** Passes on the messages the identity may receive: a granted filter wider than a deny pattern does not bring its topics. */
export function receivedBy<T extends { message: Pick<PublishedMessage, 'topic'> }>(access: Pick<AccessControl, 'acl'>, identity: Identity, onItem: (item: T) => void): (item: T) => void {
  return (item) => {
    if (canReceive(access.acl, identity, item.message.topic)) onItem(item);
  };
}

/** whether the identity may receive the message: a granted filter wider than a deny pattern does not bring its topics */
export function mayReceive(access: Pick<AccessControl, 'acl'>, identity: Identity, item: { message: Pick<PublishedMessage, 'topic'> }): boolean {
  return canReceive(access.acl, identity, item.message.topic);
}

/** `?filter=a&filter=b` as fastify parses it: a string or an array. */
export function filtersOf(query: unknown): string[] {
  const raw = (query as { filter?: unknown } | undefined)?.filter;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((f): f is string => typeof f === 'string').slice(0, maxFiltersPerRequest);
}
