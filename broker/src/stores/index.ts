import path from 'node:path';
import type { Logger } from '../logger.ts';
import type { StoreConfig } from './config.ts';
import { createInfluxStore } from './influx/influx-store.ts';
import { createSqliteStore } from './sqlite/sqlite-store.ts';
import { defaultSchema, type TelemetryStore } from './types.ts';

export type { TelemetryStore, Point, WriteOutcome, HistoryRequest, DeviceRecord } from './types.ts';

/** InfluxDB when store.influxUrl (TELEMQ_INFLUX_URL) is set, else the embedded SQLite file under dataDir. */
export function createStore(config: StoreConfig, deps: { dataDir: string; log: Logger }): TelemetryStore {
  if (config.influxUrl) {
    return createInfluxStore({ url: config.influxUrl, retentionDays: config.retentionDays, schema: defaultSchema, log: deps.log });
  }
  return createSqliteStore({ file: path.resolve(deps.dataDir, 'telemetry.sqlite'), retentionDays: config.retentionDays, schema: defaultSchema, log: deps.log });
}
