#!/usr/bin/env node
// Every check and test in one run: lint, type check, build, node:test suites (broker, simulator,
// end-to-end), the console's vitest suite. Ends with one line: "tests: N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(new URL('..', import.meta.url).pathname);
const outDir = path.join(root, '.test-output');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const only = process.argv.slice(2); // optional file filters: `npm test -- bridge`
const failures = [];

/** The closing line of a step; a failed one is listed at the end. */
function ended(name, status, started) {
  console.log(`== ${name}: ${status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (status !== 0) failures.push(name);
  return status === 0;
}

function step(name, cmd, args, options = {}) {
  console.log(`\n== ${name}`);
  const started = Date.now();
  return ended(name, spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options }).status, started);
}

/** Runs a step with its output held back and printed whole when it ends, so that steps can run side by side. */
function quietStep(name, cmd, args) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('close', (status) => {
      console.log(`\n== ${name}`);
      process.stdout.write(Buffer.concat(output));
      resolve(ended(name, status, started));
    });
  });
}

/** Runs the lanes side by side (one core each), the steps of a lane one after another. */
async function lanes(...all) {
  await Promise.all(all.map(async (lane) => {
    for (const [name, cmd, args] of lane) await quietStep(name, cmd, args);
  }));
}

function findTests(dir) {
  const found = [];
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(full);
      else if (entry.name.endsWith('.test.ts')) found.push(path.relative(root, full));
    }
  };
  walk(path.join(root, dir));
  return found.sort();
}

const build = ['build', 'npm', ['run', '-s', 'build']];
if (only.length === 0) {
  // Each of these keeps one core busy: two lanes take about half the time of one.
  await lanes(
    [['lint', 'npx', ['eslint', '--max-warnings=0', '.']], build],
    [['type check', 'npx', ['tsc', '-p', 'tsconfig.test.json']], ['type check console', 'npx', ['vue-tsc', '--noEmit', '-p', 'console']]],
  );
} else {
  step(...build);
}

// Files start in the order given, two at a time: the longest go first, so the run does
// not end with one long file alone on a core while the other waits (longest-first scheduling).
// Listed by measured duration, longest first; the rest follow in path order.
const longestFirst = [
  'test/e2e/console.test.ts',
  'broker/test/stores/sqlite-worker.test.ts',
  'devices-sim/test/bad-input.test.ts',
  'broker/test/main.test.ts',
  'devices-sim/test/processes.test.ts',
  'broker/test/bridge/bridge-influx.test.ts',
  'broker/test/bridge/kill-recovery.test.ts',
  'devices-sim/test/transports.test.ts',
  'broker/test/broker/connection-hygiene.test.ts',
  'devices-sim/test/reconnect.test.ts',
  'broker/test/transport/heartbeats.test.ts',
  'broker/test/fuzz/fuzz.test.ts',
  'devices-sim/test/commands.test.ts',
  'devices-sim/test/fleet.test.ts',
  'test/e2e/console-reconnect.test.ts',
];
const rank = (f) => (longestFirst.includes(f) ? longestFirst.indexOf(f) : longestFirst.length);
const nodeTests = ['broker/test', 'devices-sim/test', 'test']
  .flatMap(findTests)
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
// Files that load both cores on purpose run alone, after the rest, so they neither starve nor
// are starved by the other tests.
const soloTests = new Set(['broker/test/broker/load.test.ts']);

let passed = 0;
let failed = 0;
function runNodeTests(name, files, concurrency) {
  if (files.length === 0) return;
  const tap = path.join(outDir, `${name.replace(/\W+/g, '-')}.tap`);
  // test/support/run-node-tests.mjs is `node --test` keeping the files' order (the CLI sorts them)
  step(name, 'node', [
    '--conditions=source',
    '--import', 'tsx',
    '--expose-gc',
    'test/support/run-node-tests.mjs',
    '--concurrency', String(concurrency),
    '--timeout', '180000',
    '--tap', tap,
    ...files,
  ], { env: { ...process.env, TELEMQ_TEST_OUTPUT: outDir } });
  const summary = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  passed += Number(/^# pass (\d+)/m.exec(summary)?.[1] ?? 0);
  failed += Number(/^# fail (\d+)/m.exec(summary)?.[1] ?? 0) + Number(/^# cancelled (\d+)/m.exec(summary)?.[1] ?? 0);
}
runNodeTests('node:test', nodeTests.filter((f) => !soloTests.has(f)), 2);
runNodeTests('node:test (alone)', nodeTests.filter((f) => soloTests.has(f)), 1);

if (only.length === 0 || only.some((o) => 'console'.includes(o))) {
  const json = path.join(outDir, 'vitest.json');
  step('console unit tests', 'npx', ['vitest', 'run', '--root', 'console', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`]);
  try {
    const report = JSON.parse(readFileSync(json, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
  } catch {
    // no report: the step already counts as failed
  }
}

if (failures.length > 0) console.log(`\nfailed steps: ${failures.join(', ')}`);
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failures.length > 0 || failed > 0 ? 1 : 0);
