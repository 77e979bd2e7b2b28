// Shared by the bridge tests: publish with clients we did not write, count what landed.
import path from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { fetchMetric } from '../../../test/support/metrics.ts';
import { mosquittoPubLines } from '../../../test/support/mosquitto-clients.ts';
import { waitFor } from '../../../test/support/net.ts';

/** These tests stream thousands of messages from one client: the per-client publish rate guard is off. */
export const unlimited = { publishRatePerSec: 0 } as const;

/** Payloads {seq, ts} with distinct timestamps, so every message is its own point. */
export function readings(count: number, baseTs: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ seq: offset + i, ts: baseTs + offset + i }));
}

/** Half the messages through mosquitto_pub (-l, QoS 1), half through MQTT.js (QoS 1), concurrently. */
export async function publishBoth(mqttPort: number, count: number, baseTs: number): Promise<void> {
  const half = Math.floor(count / 2);
  const viaMosquitto = mosquittoPubLines({ port: mqttPort, clientId: 'mosq-pub' }, 'devices/mosq/telemetry', readings(half, baseTs), 1);
  const viaMqttJs = (async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'mqttjs-pub', reconnectPeriod: 0 });
    try {
      const lines = readings(count - half, baseTs);
      for (let i = 0; i < lines.length; i += 500) {
        await Promise.all(lines.slice(i, i + 500).map((line) => client.publishAsync('devices/mqttjs/telemetry', line, { qos: 1 })));
      }
    } finally {
      await client.endAsync();
    }
  })();
  await Promise.all([viaMosquitto, viaMqttJs]);
}

/**
 * Waits until the bridge holds nothing more: `points` written and the spool empty. A late
 * duplicate could only come from a batch still held, so after this the store's count is final.
 */
export async function bridgeSettled(httpUrl: string, points: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => (await fetchMetric(httpUrl, 'telemq_bridge_points_written_total')) >= points && (await fetchMetric(httpUrl, 'telemq_bridge_spool_bytes')) === 0,
    timeoutMs,
    `the bridge to have written ${points} points and emptied its spool`,
  );
}

export interface Counted {
  total: number;
  distinct: number;
}

/** Points of field `seq` in the embedded store file: total rows and distinct (device, seq). */
export function sqliteCount(dataDir: string): Counted {
  const db = new Database(path.join(dataDir, 'telemetry.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare("SELECT count(*) AS total, count(DISTINCT s.device || ':' || p.value) AS distinct_ FROM points p JOIN series s ON s.id = p.series_id WHERE p.field = 'seq'")
      .get() as { total: number; distinct_: number };
    return { total: row.total, distinct: row.distinct_ };
  } finally {
    db.close();
  }
}

/** count(seq) in InfluxDB, and the number of distinct (device, seq) pairs. */
export async function influxCount(baseUrl: string, database: string): Promise<Counted> {
  const query = async (q: string) => {
    const res = await fetch(`${baseUrl}/query?${new URLSearchParams({ db: database, q, epoch: 'ms' }).toString()}`);
    return (await res.json()) as { results: Array<{ series?: Array<{ tags?: Record<string, string>; values: unknown[][] }> }> };
  };
  const total = await query('SELECT count("seq") FROM "telemetry"');
  const count = Number(total.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
  const distinct = await query('SELECT count(distinct("seq")) FROM "telemetry" GROUP BY "device_id"');
  const sum = (distinct.results[0]?.series ?? []).reduce((n, s) => n + Number(s.values[0]?.[1] ?? 0), 0);
  return { total: count, distinct: sum };
}
