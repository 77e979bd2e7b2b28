// The messages between the store (main thread) and its database worker. Each request carries an id;
// the worker answers every request, in the order received, with the same id.
import type { HistoryPoint } from '../../contract/index.ts';
import type { DeviceRecord, FieldKind, HistoryRequest, TelemetrySchema } from '../types.ts';
import type { PointBatch } from './point-batch.ts';

export interface WorkerStartData {
  file: string;
  schema: TelemetrySchema;
}

export type Operation =
  | { op: 'write'; batch: PointBatch }
  | { op: 'history'; request: HistoryRequest }
  | { op: 'devices' }
  | { op: 'fieldKinds' }
  | { op: 'retain'; cutoffMs: number }
  | { op: 'ping' }
  | { op: 'close' };

export interface Results {
  /** points refused for a field kind conflict */
  write: number;
  history: HistoryPoint[];
  devices: DeviceRecord[];
  /** [fieldKindKey, kind] pairs */
  fieldKinds: Array<[string, FieldKind]>;
  /** points deleted */
  retain: number;
  ping: true;
  close: true;
}

export type Request = Operation & { id: number };

export type Response = { id: number; ok: true; value: Results[Operation['op']] } | { id: number; ok: false; error: string };
