// A scenario file mixes profiles and counts, in JSON or YAML:
//   devices:
//     - { profile: thermostat, count: 100, interval: 1s }
//     - { profile: gps-tracker, count: 20, interval: 5s, qos: 1 }
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDurationMs } from './duration.ts';
import { SimError } from './errors.ts';
import { profiles } from './signals/index.ts';

export const durationText = z.string().refine((v) => parseDurationMs(v) !== undefined && parseDurationMs(v)! > 0, {
  message: 'expected a duration such as 500ms, 1s, 2m or 1h',
});

const groupSchema = z
  .object({
    profile: z.enum(profiles),
    count: z.number().int().min(1).max(100_000),
    interval: durationText.optional(),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  })
  .strict();

export const scenarioSchema = z.object({ devices: z.array(groupSchema).min(1) }).strict();

export type ScenarioGroup = z.infer<typeof groupSchema>;

export function readScenario(file: string): ScenarioGroup[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new SimError('SCENARIO_INVALID', `cannot read scenario file ${file}`, { cause });
  }
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new SimError('SCENARIO_INVALID', `scenario file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${reason}`, { cause });
  }
  const result = scenarioSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new SimError('SCENARIO_INVALID', `scenario file ${file}: ${where}: ${issue.message}`);
  }
  return result.data.devices;
}
