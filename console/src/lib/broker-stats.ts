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
  /** points written to the on-disk spool since start (the store was slow or down) */
  spooledPoints: number | null;
  spoolBytes: number | null;
  /** "where: reason" → count, from every counter of dropped or dead-lettered messages */
  dropsByReason: Record<string, number>;
}

/** Metric names as the broker registers them (broker/src/metrics.ts, bridge/metrics.ts, live/index.ts). */
export const metricNames = {
  connections: 'telemq_clients_connected',
  bridgeLagSeconds: 'telemq_bridge_lag_seconds',
  spooledPoints: 'telemq_bridge_points_spooled_total',
  spoolBytes: 'telemq_bridge_spool_bytes',
  drops: {
    telemq_messages_dropped_total: { where: 'broker', label: 'reason' },
    telemq_bridge_points_dropped_total: { where: 'bridge', label: 'reason' },
    telemq_bridge_messages_dead_lettered_total: { where: 'dead letter', label: 'reason' },
    telemq_live_dropped_total: { where: 'live', label: 'transport' },
  } as Record<string, { where: string; label: string }>,
} as const;

export function figuresFromMetrics(samples: PromSample[]): MetricFigures {
  const value = (name: string) => {
    const found = samples.filter((s) => s.name === name);
    return found.length === 0 ? null : found.reduce((a, s) => a + s.value, 0);
  };
  const dropsByReason: Record<string, number> = {};
  for (const s of samples) {
    const kind = metricNames.drops[s.name];
    if (!kind) continue;
    const key = `${kind.where}: ${s.labels[kind.label] ?? 'other'}`;
    dropsByReason[key] = (dropsByReason[key] ?? 0) + s.value;
  }
  const lagS = value(metricNames.bridgeLagSeconds);
  return {
    connections: value(metricNames.connections),
    bridgeLagMs: lagS === null ? null : lagS * 1000,
    spooledPoints: value(metricNames.spooledPoints),
    spoolBytes: value(metricNames.spoolBytes),
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

/**
 * The broker's samples from before the live ones (GET /api/broker-history), then the live ones:
 * history points at or after `fromMs` and before the first live point, oldest first.
 */
export function joinHistory(history: { t: readonly number[]; v: readonly number[] } | null, live: { t: Float64Array; v: Float64Array }, fromMs: number): { t: Float64Array; v: Float64Array } {
  if (!history || history.t.length === 0) return live;
  const firstLive = live.t.length > 0 ? live.t[0]! : Infinity;
  const keep: number[] = [];
  for (let i = 0; i < history.t.length; i++) if (history.t[i]! >= fromMs && history.t[i]! < firstLive) keep.push(i);
  if (keep.length === 0) return live;
  const t = new Float64Array(keep.length + live.t.length);
  const v = new Float64Array(keep.length + live.t.length);
  keep.forEach((at, i) => {
    t[i] = history.t[at]!;
    v[i] = history.v[at]!;
  });
  t.set(live.t, keep.length);
  v.set(live.v, keep.length);
  return { t, v };
}
