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
  /** QoS >= 1 messages sent to one client and not yet acknowledged (its send window); more wait in its queue */
  maxClientInflight: z.number().int().min(1).default(1000),
  /** QoS 1/2 messages held for one persistent session (offline, or in flight); past it the oldest is dropped, counted */
  maxSessionQueueMessages: z.number().int().min(1).default(10_000),
  /** payload + topic bytes held for one persistent session; past it the oldest message is dropped, counted */
  maxSessionQueueBytes: z.number().int().min(1024).default(16 * 1024 * 1024),
  /** a persistent session whose client has not been connected for this long is deleted with its queue; 0: never */
  sessionExpirySec: z.number().int().min(0).default(7 * 24 * 3600),
  /** subscriptions one connection may hold; a SUBSCRIBE past it gets 0x80 for that filter; 0: no bound */
  maxSubscriptionsPerClient: z.number().int().min(0).default(1000),
  /** retained topics one client id may own (published last); a retained publish past it is refused; 0: no bound */
  maxRetainedTopicsPerClient: z.number().int().min(0).default(100),
  /** bytes of QoS >= 1 messages queued for one client (topic + payload + 128 per message) before the publishers feeding it are slowed */
  maxClientQueuedQos1Bytes: z.number().int().min(1024).default(4 * 1024 * 1024),
  /** a client with QoS >= 1 messages in flight that acknowledges nothing for this long is disconnected */
  stalledClientTimeoutMs: z.number().int().min(1).default(60_000),
});

export type GuardsConfig = z.infer<typeof guardsConfigSchema>;
