// GET /api/console-settings: how fields are shown (unit, label, precision, declared once in the
// `console` config section beside the bridge rules), when a device counts as stale, and how a
// device connects (for the console's onboarding). Any authenticated caller may read it.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConsoleSettings, FieldFormat } from '../contract/index.ts';
import { identityOf } from './auth-hook.ts';

const fieldFormatSchema = z
  .object({
    label: z.string().min(1).optional(),
    unit: z.string().default(''),
    precision: z.number().int().min(0).max(12).optional(),
    kind: z.enum(['number', 'state']).default('number'),
  })
  .strict();

/** The simulator's fields (devices-sim/src/signals/); a config's `fields` replaces this table. */
export const defaultFieldFormats: Readonly<Record<string, FieldFormat>> = {
  temperature: { label: 'Temperature', unit: '°C', precision: 2, kind: 'number' },
  setpoint: { label: 'Setpoint', unit: '°C', precision: 1, kind: 'number' },
  humidity: { label: 'Humidity', unit: '%', precision: 1, kind: 'number' },
  lat: { label: 'Latitude', unit: '°', precision: 6, kind: 'number' },
  lon: { label: 'Longitude', unit: '°', precision: 6, kind: 'number' },
  speed: { label: 'Speed', unit: 'km/h', precision: 1, kind: 'number' },
  heading: { label: 'Heading', unit: '°', precision: 0, kind: 'number' },
  battery: { label: 'Battery', unit: '%', precision: 1, kind: 'number' },
  moving: { label: 'Moving', unit: '', kind: 'state' },
  voltage: { label: 'Voltage', unit: 'V', precision: 1, kind: 'number' },
  current: { label: 'Current', unit: 'A', precision: 2, kind: 'number' },
  power: { label: 'Power', unit: 'W', precision: 1, kind: 'number' },
  energy: { label: 'Energy', unit: 'kWh', precision: 3, kind: 'number' },
};

export const consoleConfigSchema = z
  .object({
    /** field name (as the bridge names it) → how the console shows it */
    fields: z.record(z.string(), fieldFormatSchema).default(defaultFieldFormats as Record<string, FieldFormat>),
    /** no telemetry within this many of a device's own intervals: stale */
    staleAfterIntervals: z.number().min(1).max(1000).default(3),
    /** the broker page's history (GET /api/broker-history): one sample per interval, over the window */
    brokerHistoryIntervalMs: z.number().int().min(100).max(600_000).default(10_000),
    brokerHistoryWindowMs: z.number().int().min(60_000).max(86_400_000).default(3_600_000),
  })
  .strict();

export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

export interface ConsoleSettingsDeps {
  config: ConsoleConfig;
  wsPath: string;
  /** the bound MQTT over TCP port (known after listen) */
  mqttPort(): number;
}

export function registerConsoleSettingsRoute(app: FastifyInstance, deps: ConsoleSettingsDeps): void {
  app.get('/api/console-settings', { config: { auth: 'user' } }, async (req) => {
    const identity = identityOf(req);
    const body: ConsoleSettings = {
      fields: deps.config.fields,
      staleAfterIntervals: deps.config.staleAfterIntervals,
      connect: { mqttPort: deps.mqttPort(), wsPath: deps.wsPath },
      canMintTokens: identity.role === 'admin',
    };
    return body;
  });
}
