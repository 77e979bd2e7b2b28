// Broker figures from two sources: $SYS topics (live) and Prometheus text from /metrics (polled).
// Names are matched by pattern, so added metrics show up without a console release.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition format 0.0.4: `name{a="b"} value [timestamp]`; comments skipped. */
export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const raw of text.split('\n')) {
    if (raw === '' || raw.startsWith('#')) continue;
    const m = line.exec(raw);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(label)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    const value = Number(m[3]);
    if (!Number.isNaN(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

export interface MetricFigures {
  connections: number | null;
  bridgeLagMs: number | null;
  spooledPoints: number | null;
  dropsByReason: Record<string, number>;
}

function first(samples: PromSample[], re: RegExp): PromSample | undefined {
  return samples.find((s) => re.test(s.name));
}

export function figuresFromMetrics(samples: PromSample[]): MetricFigures {
  const lag = first(samples, /bridge.*lag.*(seconds|ms)$/) ?? first(samples, /bridge.*lag/);
  const spooled = first(samples, /spool.*points/) ?? first(samples, /spool(ed)?(_|$)/);
  const dropsByReason: Record<string, number> = {};
  for (const s of samples) {
    if (!/drop|dead_?letter/.test(s.name) || s.name.endsWith('_created')) continue;
    const reason = s.labels.reason ?? s.name;
    dropsByReason[reason] = (dropsByReason[reason] ?? 0) + s.value;
  }
  const connections = first(samples, /^telemq_(clients_connected|connections)$/);
  return {
    connections: connections ? connections.value : null,
    bridgeLagMs: lag ? (lag.name.includes('seconds') ? lag.value * 1000 : lag.value) : null,
    spooledPoints: spooled ? spooled.value : null,
    dropsByReason,
  };
}

/** The path of a $SYS topic after `$SYS/{brokerId}/`. */
export function sysPath(topic: string): string | undefined {
  const levels = topic.split('/');
  return levels[0] === '$SYS' && levels.length > 2 ? levels.slice(2).join('/') : undefined;
}

const patterns = {
  connections: /^(clients\/(connected|count|total)|connections(\/current)?|clients)$/,
  messagesIn: /(messages|publish)\/(received|in)(\/per-?second|\/rate)?$/,
  messagesOut: /(messages|publish)\/(sent|out)(\/per-?second|\/rate)?$/,
} as const;

export type SysFigure = keyof typeof patterns;

export function classifySys(path: string): SysFigure | undefined {
  for (const [name, re] of Object.entries(patterns) as Array<[SysFigure, RegExp]>) if (re.test(path)) return name;
  return undefined;
}

/** A per-second rate from a counter's successive readings; a value that is already a rate passes through. */
export function createRate() {
  let last: { value: number; atMs: number } | null = null;
  return (value: number, atMs: number, isRate: boolean): number | null => {
    if (isRate) return value;
    const prev = last;
    last = { value, atMs };
    if (!prev || atMs <= prev.atMs || value < prev.value) return null;
    return ((value - prev.value) * 1000) / (atMs - prev.atMs);
  };
}
