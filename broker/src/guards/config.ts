import { z } from 'zod';

export const guardsConfigSchema = z.object({
  /** refused before the payload is buffered */
  maxPacketBytes: z.number().int().min(64).default(256 * 1024),
  publishRatePerSec: z.number().min(0).default(100),
  publishBurst: z.number().int().min(1).default(200),
  maxConnectionsPerIp: z.number().int().min(1).default(1000),
  connectAttemptsPerIpPerMin: z.number().int().min(1).default(6000),
  failedAuthPerIpPerMin: z.number().int().min(1).default(30),
  /** failed password checks of one user name (from any address) before it backs off */
  failedAuthPerUserFree: z.number().int().min(1).default(5),
  /** the first back-off; it doubles with each further failure, up to the max */
  failedAuthUserBackoffMs: z.number().int().min(1).default(1000),
  failedAuthUserBackoffMaxMs: z.number().int().min(1).default(60_000),
  /** WebSocket Origin allowlist; empty allows any origin */
  allowedOrigins: z.array(z.string()).default([]),
  maxClientIdLength: z.number().int().min(1).max(65535).default(128),
  maxTopicLength: z.number().int().min(1).max(65535).default(512),
  maxTopicLevels: z.number().int().min(1).default(16),
  /** bytes waiting to be written to one client before QoS 0 messages to it are dropped */
  maxClientQueueBytes: z.number().int().min(1024).default(1024 * 1024),
  /** QoS 1 messages in flight to one client before it is disconnected as too slow */
  maxClientInflight: z.number().int().min(1).default(1000),
});

export type GuardsConfig = z.infer<typeof guardsConfigSchema>;
