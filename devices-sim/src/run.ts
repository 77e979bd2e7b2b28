// One run of the simulator, from the validated config to the summary: start the fleet, report
// while it runs, stop at the end of --duration or when asked, print the summary.
import type { SimConfig } from './config.ts';
import type { FleetRunner } from './fleet.ts';
import { createReporter, createStatsSampler, type Summary } from './report.ts';

export interface RunDeps {
  runner: FleetRunner;
  /** status, log and summary lines */
  stderr: { write(text: string): unknown };
  /** the --json summary */
  stdout: { write(text: string): unknown };
  isTty: boolean;
  /** aborted on SIGINT / SIGTERM */
  stopSignal: AbortSignal;
}

const TTY_REFRESH_MS = 1000;

export async function runSimulation(config: SimConfig, deps: RunDeps): Promise<Summary> {
  const { runner } = deps;
  const reporter = createReporter({ out: deps.stderr, isTty: deps.isTty });
  const sampler = createStatsSampler(runner.stats, reporter, deps.isTty ? TTY_REFRESH_MS : config.reportIntervalMs);
  try {
    await runner.start();
  } catch (err) {
    sampler.stop();
    await runner.stop();
    throw err;
  }
  const failure = await Promise.race([untilDone(config.durationMs, deps.stopSignal).then(() => undefined), runner.failed]);
  if (failure) {
    sampler.stop();
    await runner.stop();
    throw failure;
  }
  const summary = sampler.stop();
  await runner.stop();
  // Workers report every 250 ms: their final counters arrive with their exit.
  const final = runner.stats();
  Object.assign(summary, { sent: final.sent, reconnects: final.reconnects, errors: final.errors, commands: final.commands, lastError: final.lastError });
  summary.messagesPerSec = (final.sent * 1000) / Math.max(1, summary.durationMs);
  reporter.finish(summary);
  if (config.json) deps.stdout.write(`${JSON.stringify({ ...summary, url: config.url })}\n`);
  return summary;
}

function untilDone(durationMs: number | null, stopSignal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stopSignal.aborted) return resolve();
    const timer = durationMs === null ? undefined : setTimeout(done, durationMs);
    stopSignal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      stopSignal.removeEventListener('abort', done);
      resolve();
    }
  });
}
