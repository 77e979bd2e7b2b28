import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths never written to a log line. */
export const redactPaths = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["sec-websocket-protocol"]',
  'jwtSecret',
  '*.jwtSecret',
  'adminPassword',
  '*.adminPassword',
];

/** One root logger per process; modules take a child: `log.child({ module: 'bridge' })`. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { pid: process.pid } };
  return destination ? pino(options, destination) : pino(options);
}
