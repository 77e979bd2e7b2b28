// The README's configuration reference names every config key and every environment variable.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { z } from 'zod';
import { configEnvNames, configSchema } from '../../broker/src/config.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Dotted paths of every leaf key in the schema; records and arrays are leaves. */
function leafKeys(schema: z.ZodType, prefix: string): string[] {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional || inner instanceof z.ZodNullable || inner instanceof z.ZodPrefault) {
    inner = inner.unwrap() as z.ZodType;
  }
  if (inner instanceof z.ZodObject && prefix !== 'transport.tls') {
    return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, value]) => leafKeys(value, prefix ? `${prefix}.${key}` : key));
  }
  return [prefix];
}

test('every config key is in the README', () => {
  const missing = leafKeys(configSchema, '').filter((key) => !readme.includes(`\`${key}\``) && !readme.includes(key));
  assert.deepEqual(missing, []);
});

test('every environment variable is in the README', () => {
  assert.deepEqual(configEnvNames.filter((name) => !readme.includes(name)), []);
});
