import { z } from 'zod';

export const storeConfigSchema = z.object({
  /** http://user:pass@host:8086/database; unset: embedded SQLite under dataDir */
  influxUrl: z.string().url().optional(),
  /** embedded store: points older than this are deleted */
  retentionDays: z.number().int().min(1).default(30),
});

export type StoreConfig = z.infer<typeof storeConfigSchema>;
