// Owns the process: environment, signals, exit codes. Nothing else reads process.env or exits.
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { AppError } from './errors.ts';
import { createLogger } from './logger.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof AppError) {
      process.stderr.write(`telemq: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const app = createApp(config, { log });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // The bound is armed before anything that could throw (a log line to a closed pipe).
    const timer = setTimeout(() => {
      process.stderr.write(`telemq: shutdown did not finish within ${config.shutdownTimeoutMs} ms\n`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    log.info({ signal }, 'shutting down');
    app.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    await app.start();
  } catch (err) {
    log.fatal({ err }, err instanceof AppError ? err.message : 'start failed');
    await app.close();
    process.exit(err instanceof AppError && err.code === 'CONFIG_INVALID' ? 2 : 1);
  }
}

void main();
