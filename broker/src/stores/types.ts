// One interface for every telemetry store; the bridge writes through it, the HTTP API reads through it.
import type { Aggregation, HistoryPoint } from '../contract/index.ts';
import type { FieldKind, FieldValue, Point } from '../points/point.ts';

export type { FieldKind, FieldValue, Point } from '../points/point.ts';

/** A write either landed, or failed in a way worth retrying (store away), or was refused for good. */
export type WriteOutcome =
  | { ok: true }
  | { ok: false; retryable: true; reason: string }
  | { ok: false; retryable: false; reason: string; rejectedPoints: number };

/** A validated history request: the window and aggregation are already resolved. */
export interface HistoryRequest {
  device: string;
  field: string;
  fromMs: number;
  toMs: number;
  /** null: raw points */
  everyMs: number | null;
  agg: Aggregation | null;
  /** at most this many points come back */
  limit: number;
}

export interface DeviceRecord {
  deviceId: string;
  lastSeenMs: number;
  latest: Record<string, FieldValue>;
}

export interface TelemetryStore {
  readonly kind: 'sqlite' | 'influxdb';
  write(points: readonly Point[]): Promise<WriteOutcome>;
  queryHistory(request: HistoryRequest): Promise<HistoryPoint[]>;
  /** every device of the telemetry measurement with its newest point */
  devices(): Promise<DeviceRecord[]>;
  /** field kinds already stored, keyed `measurement\u0000field` (a store fixes a field's kind once) */
  fieldKinds(): Promise<Map<string, FieldKind>>;
  /** true when the store answers */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Where the history and devices API look: the measurement and the tag naming the device. */
export interface TelemetrySchema {
  measurement: string;
  deviceTag: string;
}

export const defaultSchema: TelemetrySchema = { measurement: 'telemetry', deviceTag: 'device_id' };

export function fieldKindKey(measurement: string, field: string): string {
  return `${measurement}\u0000${field}`;
}
