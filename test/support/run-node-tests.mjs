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
if (values.tap) stream.compose(tap).pipe(createWriteStream(values.tap));
stream.compose(spec).pipe(process.stdout);
