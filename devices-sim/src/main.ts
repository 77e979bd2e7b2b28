// The simulator process: reads argv and env, installs signal handlers, exits. Everything else is
// passed in. As a worker (forked by --processes) it runs the slice its parent sends over IPC.
import { parseFlags, usage } from './config.ts';
import { SimError } from './errors.ts';
import { createFleet } from './fleet.ts';
import { runSimulation } from './run.ts';
import { createWorkerPool, runWorker, WORKER_ENV } from './workers.ts';

async function main(): Promise<number> {
  if (process.env[WORKER_ENV] === '1') {
    // Ctrl-C reaches the whole process group: the parent tells its workers when to stop.
    process.on('SIGINT', () => {});
    process.on('SIGTERM', () => {});
    await runWorker(process);
    return 0;
  }
  const config = parseFlags(process.argv.slice(2));
  if (config === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130); // a second Ctrl-C does not wait
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const runner = config.processes > 1 ? createWorkerPool(config, { entry: process.argv[1]!, env: process.env }) : createFleet(config);
  await runSimulation(config, {
    runner,
    stderr: process.stderr,
    stdout: process.stdout,
    isTty: process.stderr.isTTY === true,
    stopSignal: stop.signal,
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof SimError) {
      process.stderr.write(`telemq-sim: ${err.message}\n`);
      process.exit(err.code === 'USAGE' || err.code === 'SCENARIO_INVALID' ? 2 : 1);
    }
    process.stderr.write(`telemq-sim: unexpected failure: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
