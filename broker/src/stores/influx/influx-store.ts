// InfluxDB 1.x: the only module importing `influx`. The package manages the database and retention
// policy and runs queries (identifiers through its escape helpers, values as bound placeholders);
// writes go straight to POST /write as batched line protocol, the faster path measured in bench/.
import http from 'node:http';
import https from 'node:https';
import { InfluxDB, escape } from 'influx';
import type { HistoryPoint } from '../../contract/index.ts';
import type { Logger } from '../../logger.ts';
import { fieldKindKey, type DeviceRecord, type FieldKind, type FieldValue, type HistoryRequest, type TelemetrySchema, type TelemetryStore, type WriteOutcome } from '../types.ts';
import { toLineProtocol } from './line-protocol.ts';

export interface InfluxStoreOptions {
  /** http://user:pass@host:8086/database */
  url: string;
  retentionDays: number;
  schema: TelemetrySchema;
  log: Logger;
  writeTimeoutMs?: number;
}

interface RawSeries {
  name?: string;
  tags?: Record<string, string>;
  columns: string[];
  values?: unknown[][];
}

const influxKinds: Record<string, FieldKind> = { float: 'number', integer: 'number', string: 'string', boolean: 'boolean' };

export function parseInfluxUrl(raw: string): { base: string; database: string; username: string; password: string } {
  const url = new URL(raw);
  const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) || 'telemq';
  return { base: `${url.protocol}//${url.host}`, database, username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

export function createInfluxStore(options: InfluxStoreOptions): TelemetryStore {
  const { schema, log } = options;
  const target = parseInfluxUrl(options.url);
  const url = new URL(target.base);
  const influx = new InfluxDB({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    database: target.database,
    ...(target.username ? { username: target.username, password: target.password } : {}),
    pool: { maxRetries: 0, requestTimeout: options.writeTimeoutMs ?? 10_000 },
  });
  // precision u: telemetry without a timestamp of its own is stamped to the microsecond (bridge/arrival-clock.ts)
  const writeUrl = `${target.base}/write?${new URLSearchParams({ db: target.database, precision: 'u' }).toString()}`;
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (target.username) headers.authorization = `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
  const writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
  // node:http with a keep-alive agent rather than fetch: about half the CPU per batch (bench/).
  const client = url.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: 8 });
  let prepared = false;

  function post(payload: Buffer): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = client.request(writeUrl, { method: 'POST', agent, headers: { ...headers, 'content-length': payload.length }, signal: AbortSignal.timeout(writeTimeoutMs) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Database and retention are created on first use, so start-up does not need the server. */
  async function prepare(): Promise<void> {
    if (prepared) return;
    await influx.createDatabase(target.database);
    await influx.alterRetentionPolicy('autogen', { database: target.database, duration: `${options.retentionDays}d`, replication: 1, isDefault: true });
    prepared = true;
    log.info({ database: target.database, retentionDays: options.retentionDays }, 'influxdb database ready');
  }

  async function query(text: string, placeholders: Record<string, string> = {}): Promise<RawSeries[]> {
    await prepare();
    const res = await influx.queryRaw(text, { precision: 'ms', placeholders });
    const results = (res as { results?: Array<{ series?: RawSeries[]; error?: string }> }).results ?? [];
    const failed = results.find((r) => r.error);
    if (failed) throw new Error(`influxdb query failed: ${failed.error}`);
    return results.flatMap((r) => r.series ?? []);
  }

  const from = `FROM ${escape.quoted(schema.measurement)}`;

  async function fieldKinds(): Promise<Map<string, FieldKind>> {
    const kinds = new Map<string, FieldKind>();
    for (const s of await query('SHOW FIELD KEYS')) {
      for (const [field, type] of s.values ?? []) {
        const kind = influxKinds[String(type)];
        if (s.name && kind) kinds.set(fieldKindKey(s.name, String(field)), kind);
      }
    }
    return kinds;
  }

  return {
    kind: 'influxdb',
    async write(points): Promise<WriteOutcome> {
      if (points.length === 0) return { ok: true };
      try {
        await prepare();
        const res = await post(toLineProtocol(points));
        if (res.status === 204) return { ok: true };
        const body = res.text;
        if (res.status === 404) prepared = false; // database dropped behind our back: create it again
        // 400: a partial write (the other points landed) or a refusal of the whole batch (countRefused).
        if (res.status === 400) return { ok: false, retryable: false, reason: body.slice(0, 300), rejectedPoints: countRefused(body, points.length) };
        return { ok: false, retryable: true, reason: `influxdb ${res.status}: ${body.slice(0, 300)}` };
      } catch (err) {
        return { ok: false, retryable: true, reason: (err as Error).message };
      }
    },
    async queryHistory(q: HistoryRequest): Promise<HistoryPoint[]> {
      const field = escape.quoted(q.field);
      const where = `WHERE ${escape.quoted(schema.deviceTag)} = $device AND time >= ${Math.trunc(q.fromMs)}ms AND time < ${Math.trunc(q.toMs)}ms`;
      const text =
        q.everyMs === null || q.agg === null
          ? `SELECT ${field} ${from} ${where} ORDER BY time ASC LIMIT ${q.limit}`
          : `SELECT ${q.agg}(${field}) ${from} ${where} GROUP BY time(${Math.trunc(q.everyMs)}ms) fill(none) LIMIT ${q.limit}`;
      const series = await query(text, { device: q.device });
      return (series[0]?.values ?? []).map(([t, v]) => ({ t: Number(t), v: typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : null }));
    },
    async devices(): Promise<DeviceRecord[]> {
      const kinds = await fieldKinds();
      const tag = escape.quoted(schema.deviceTag);
      const series = await query(`SELECT * ${from} GROUP BY ${tag} ORDER BY time DESC LIMIT 1`);
      const devices: DeviceRecord[] = [];
      for (const s of series) {
        const deviceId = s.tags?.[schema.deviceTag];
        const row = s.values?.[0];
        if (!deviceId || !row) continue;
        const latest: Record<string, FieldValue> = {};
        s.columns.forEach((column, i) => {
          const value = row[i];
          if (i === 0 || value === null || value === undefined) return;
          if (kinds.has(fieldKindKey(schema.measurement, column))) latest[column] = value as FieldValue;
        });
        devices.push({ deviceId, lastSeenMs: Number(row[0]), latest });
      }
      return devices.sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
    },
    fieldKinds,
    async ping() {
      try {
        const res = await fetch(`${target.base}/ping`, { signal: AbortSignal.timeout(2000) });
        return res.status === 204;
      } catch {
        return false;
      }
    },
    async close() {
      agent.destroy();
    },
  };
}

/**
 * Points a 400 refused. influxd reports a partial write as `partial write: REASON dropped=N`, where N
 * counts points it refused after parsing (field type conflicts) and each line it could not parse is
 * named in REASON (`unable to parse '…'`) but not counted in N. Without `dropped=`, nothing landed.
 */
export function countRefused(body: string, points: number): number {
  const dropped = /dropped=(\d+)/.exec(body);
  if (!dropped) return points;
  const unparsed = body.match(/unable to parse '/g)?.length ?? 0;
  return Math.min(points, Number(dropped[1]) + unparsed);
}
