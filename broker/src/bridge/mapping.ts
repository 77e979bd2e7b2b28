// Topic + payload → point, Telegraf topic_parsing style. Rules are compiled and checked once at
// start-up (a bad rule throws RULE_INVALID naming it); mapTelemetry itself has no clock, logger or
// I/O: it is a pure function of its arguments and the compiled rules.
import { levelsMatch } from '../contract/index.ts';
import { AppError } from '../errors.ts';
import { createJsonPoint, createPayloadSlab } from '../points/json-point.ts';
import type { Point } from '../points/point.ts';
import { compileCodec, type Decoder } from './codecs.ts';
import type { BridgeRule } from './config.ts';

export type MapFailureReason = 'no-rule' | 'undecodable' | 'invalid-name';

export type MapResult = { ok: true; point: Point; rule: string } | { ok: false; reason: MapFailureReason; detail: string };

export interface Mapper {
  /** `receivedAtMs` is the point's timestamp when the payload has none */
  mapTelemetry(topic: string, payload: Buffer, receivedAtMs: number): MapResult;
  /** a rule maps the topic to a valid series (the payload may still fail to decode) */
  routes(topic: string): boolean;
}

interface CompiledRule {
  name: string;
  filter: string[];
  measurement: (levels: string[]) => string;
  tags: Array<[name: string, level: number]>;
  decode: Decoder;
}

/** Names that would break a line of line protocol or a query: empty, or holding control characters. */
// eslint-disable-next-line no-control-regex
const badName = /^$|[\u0000-\u001f\u007f]/;

/** A topic's rule and series, worked out once: a fleet's topics repeat, so the cache stays small. */
type Route = { ok: true; rule: CompiledRule; measurement: string; tags: Readonly<Record<string, string>> } | MapFailure;
type MapFailure = Extract<MapResult, { ok: false }>;

/** Bounds on the per-topic and per-field-name caches; past them a cache starts over. */
const maxCachedTopics = 100_000;
const maxCachedNames = 10_000;

export function compileRules(rules: readonly BridgeRule[]): Mapper {
  const compiled = rules.map(compileRule);
  const routes = new Map<string, Route>();
  const validFieldNames = new Set<string>();
  /** where this mapper's JsonPoints keep their payload bytes */
  const slab = createPayloadSlab();

  function routeOf(topic: string): Route {
    const levels = topic.split('/');
    const rule = compiled.find((r) => levelsMatch(r.filter, levels));
    if (!rule) return { ok: false, reason: 'no-rule', detail: 'no bridge rule matches the topic' };
    const measurement = rule.measurement(levels);
    if (badName.test(measurement)) return invalidName(measurement);
    const tags: Record<string, string> = {};
    for (const [name, level] of rule.tags) {
      const value = levels[level] ?? '';
      if (badName.test(value)) return invalidName(value);
      tags[name] = value;
    }
    // Every point of this topic shares one tags object, which also lets a store cache its series key.
    return { ok: true, rule, measurement, tags: Object.freeze(tags) };
  }

  function isValidFieldName(name: string): boolean {
    if (validFieldNames.has(name)) return true;
    if (badName.test(name)) return false;
    if (validFieldNames.size >= maxCachedNames) validFieldNames.clear();
    validFieldNames.add(name);
    return true;
  }

  function cachedRoute(topic: string): Route {
    let route = routes.get(topic);
    if (route === undefined) {
      if (routes.size >= maxCachedTopics) routes.clear();
      route = routeOf(topic);
      routes.set(topic, route);
    }
    return route;
  }

  return {
    routes: (topic) => cachedRoute(topic).ok,
    mapTelemetry(topic, payload, receivedAtMs) {
      const route = cachedRoute(topic);
      if (!route.ok) return route;
      const decoded = route.rule.decode(payload);
      if (!decoded.ok) return { ok: false, reason: 'undecodable', detail: decoded.detail };
      const timestampMs = decoded.timestampMs ?? receivedAtMs;
      // The scan takes only non-empty printable ASCII keys, so a shape's names need no check.
      if ('shape' in decoded) return { ok: true, rule: route.rule.name, point: createJsonPoint(slab, route.measurement, route.tags, payload, decoded.shape, timestampMs) };
      for (const field in decoded.fields) if (!isValidFieldName(field)) return invalidName(field);
      return { ok: true, rule: route.rule.name, point: { measurement: route.measurement, tags: route.tags, fields: decoded.fields, timestampMs } };
    },
  };
}

function invalidName(name: string): MapFailure {
  return { ok: false, reason: 'invalid-name', detail: `empty name or control character in ${JSON.stringify(name)}` };
}

function compileRule(rule: BridgeRule): CompiledRule {
  const fail = (why: string) => new AppError('RULE_INVALID', `bridge rule "${rule.name}": ${why}`);
  const levels = rule.topic.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) throw fail(`"#" must be the whole last level of ${rule.topic}`);
    if (level.includes('+') && level !== '+') throw fail(`"+" must be a whole level of ${rule.topic}`);
  });
  if (rule.topic.startsWith('$')) throw fail('$ topics are never bridged');
  const open = levels[levels.length - 1] === '#';
  const reachable = (level: number) => (open ? true : level < levels.length);
  for (const [tag, level] of Object.entries(rule.tags)) {
    if (!reachable(level)) throw fail(`tag ${tag} takes level ${level}, but ${rule.topic} has ${levels.length} levels`);
    if (badName.test(tag)) throw fail(`tag name ${JSON.stringify(tag)} is empty or has control characters`);
  }
  const levelRef = /^\{(\d+)\}$/.exec(rule.measurement);
  let measurement: CompiledRule['measurement'];
  if (levelRef) {
    const level = Number(levelRef[1]);
    if (!reachable(level)) throw fail(`measurement takes level ${level}, but ${rule.topic} has ${levels.length} levels`);
    measurement = (topicLevels) => topicLevels[level] ?? '';
  } else {
    const name = rule.measurement;
    if (badName.test(name)) throw fail('measurement is empty or has control characters');
    measurement = () => name;
  }
  return { name: rule.name, filter: levels, measurement, tags: Object.entries(rule.tags), decode: compileCodec(rule.codec, rule.name) };
}
