import { z } from 'zod';

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
      z.object({ type: z.literal('json'), separator: z.string().default('_') }),
      z.object({ type: z.literal('number'), field: z.string().default('value') }),
      z.object({ type: z.literal('protobuf'), protoFile: z.string().min(1), messageType: z.string().min(1) }),
    ])
    .default({ type: 'json', separator: '_' }),
});

export const bridgeConfigSchema = z.object({
  enabled: z.boolean().default(true),
  rules: z
    .array(bridgeRuleSchema)
    .default([{ name: 'telemetry', topic: 'devices/+/telemetry', measurement: 'telemetry', tags: { device_id: 1 }, codec: { type: 'json', separator: '_' } }]),
  maxBatchPoints: z.number().int().min(1).default(5000),
  flushIntervalMs: z.number().int().min(1).default(1000),
  spoolMaxBytes: z.number().int().min(1024).default(1024 ** 3),
  spoolFullPolicy: z.enum(['drop-oldest', 'drop-newest']).default('drop-oldest'),
  retryBaseMs: z.number().int().min(1).default(500),
  retryMaxMs: z.number().int().min(1).default(30_000),
  deadLetterPrefix: z.string().default('$telemq/deadletter'),
});

export type BridgeRule = z.infer<typeof bridgeRuleSchema>;
export type BridgeConfig = z.infer<typeof bridgeConfigSchema>;
