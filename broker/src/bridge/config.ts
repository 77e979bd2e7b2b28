import { z } from 'zod';

const timestampField = z.string().min(1).default('ts');

export const bridgeRuleSchema = z.object({
  name: z.string().min(1),
  /** MQTT topic filter */
  topic: z.string().min(1),
  /** fixed measurement name, or `{N}` for topic level N (0-based) */
  measurement: z.string().min(1).default('telemetry'),
  /** tag name -> topic level (0-based) */
  tags: z.record(z.string(), z.number().int().min(0)).default({}),
  codec: z
    .discriminatedUnion('type', [
      /** object of fields; nested objects flattened with `separator`; `timestampField` in epoch ms or ISO 8601 */
      z.object({ type: z.literal('json'), separator: z.string().default('_'), timestampField }),
      /** a bare number, stored as `field` */
      z.object({ type: z.literal('number'), field: z.string().default('value') }),
      /** a bare `true` / `false`, stored as `field` */
      z.object({ type: z.literal('boolean'), field: z.string().default('value') }),
      /** protobufjs: a .proto file (relative to the working directory) and the message type to decode */
      z.object({ type: z.literal('protobuf'), protoFile: z.string().min(1), messageType: z.string().min(1), separator: z.string().default('_'), timestampField }),
    ])
    .default({ type: 'json', separator: '_', timestampField: 'ts' }),
});

export const bridgeConfigSchema = z.object({
  enabled: z.boolean().default(true),
  rules: z
    .array(bridgeRuleSchema)
    .default([{ name: 'telemetry', topic: 'devices/+/telemetry', measurement: 'telemetry', tags: { device_id: 1 }, codec: { type: 'json', separator: '_', timestampField: 'ts' } }]),
  /** topics that are not telemetry: neither bridged nor dead-lettered when no rule matches */
  ignoreTopics: z.array(z.string().min(1)).default(['devices/+/status', 'devices/+/commands/#', 'devices/+/replies/#']),
  /** a batch is written when it holds this many points … */
  maxBatchPoints: z.number().int().min(1).default(5000),
  /** … or when its first point is this old */
  flushIntervalMs: z.number().int().min(1).default(1000),
  /** batches waiting in memory for the store before new ones go to the spool */
  maxQueuedBatches: z.number().int().min(1).default(20),
  /** batches written to the store at once (more overlap serialising with the store's work) */
  maxWritesInFlight: z.number().int().min(1).max(8).default(2),
  /** on-disk spool (segment files under dataDir/spool) */
  spoolMaxBytes: z.number().int().min(1024).default(1024 ** 3),
  /** what a full spool gives up: its oldest points, or the batch that does not fit */
  spoolFullPolicy: z.enum(['drop-oldest', 'drop-newest']).default('drop-oldest'),
  /**
   * QoS >= 1 telemetry is acknowledged (PUBACK) only once its point is durable: in the
   * acknowledgement log (group commit, fsynced) under dataDir/ack-log. false: acknowledged on arrival.
   */
  acknowledgeWhenDurable: z.boolean().default(true),
  /** the acknowledgement log starts a new segment file past this size */
  ackLogSegmentMaxBytes: z.number().int().min(4096).default(4 * 1024 ** 2),
  /** retry backoff while the store refuses writes: base doubles up to max */
  retryBaseMs: z.number().int().min(1).default(500),
  retryMaxMs: z.number().int().min(1).default(30_000),
  /** dead letters republished per second at most; beyond it they are counted only */
  deadLetterRatePerSec: z.number().int().min(0).default(100),
  /** a failing topic is logged at most once per this interval */
  logIntervalMs: z.number().int().min(0).default(60_000),
});

export type BridgeRule = z.infer<typeof bridgeRuleSchema>;
export type BridgeCodec = BridgeRule['codec'];
export type BridgeConfig = z.infer<typeof bridgeConfigSchema>;
