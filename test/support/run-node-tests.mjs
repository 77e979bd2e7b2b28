#!/usr/bin/env node
// node:test's own runner, started by scripts/test.mjs, for one reason: `node --test FILE…` sorts the
// files by path, while run() starts them in the order given (so the longest can go first). Each
// file runs in a child process with this process's flags (--import tsx, --conditions, --expose-gc).
// Usage: node [flags] run-node-tests.mjs --concurrency N --timeout MS --tap OUT.tap FILE…
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { concurrency: { type: 'string' }, timeout: { type: 'string' }, tap: { type: 'string' } },
});
const files = positionals.map((f) => path.resolve(f));
const stream = run({ files, concurrency: Number(values.concurrency ?? 1), timeout: Number(values.timeout ?? Infinity) });
stream.on('test:fail', () => (process.exitCode = 1));
// The time each file's top-level tests took, printed at the end: the order to keep in scripts/test.mjs.
const fileMs = new Map();
const countFile = ({ file, nesting, details }) => {
  if (file && nesting === 0) fileMs.set(file, (fileMs.get(file) ?? 0) + (details?.duration_ms ?? 0));
};
stream.on('test:pass', countFile);
stream.on('test:fail', countFile);
process.on('exit', () => {
  const slowest = [...fileMs].sort((a, b) => b[1] - a[1]).slice(0, 15);
  console.log(`\nslowest files (s): ${slowest.map(([f, ms]) => `${path.relative(process.cwd(), f)} ${(ms / 1000).toFixed(1)}`).join(', ')}`);
});
if (values.tap) stream.compose(tap).pipe(createWriteStream(values.tap));
stream.compose(spec).pipe(process.stdout);
