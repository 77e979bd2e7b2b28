// Shared by the simulator's tests: what a clear failure looks like, and the broker auth they use.
import { mintToken } from '../../test/support/tokens.ts';

/** A progress report (a timestamp, then the counters), printed every --report-interval while a run lasts. */
const progressLine = /^\d{4}-\d\d-\d\dT[\d:.]+Z connected /;

/** One line, no stack trace; progress reports printed before it (a slow start) aside. */
export function isOneClearLine(text: string): boolean {
  const lines = text.trim().split('\n').filter((line) => !progressLine.test(line));
  return lines.length === 1 && !/\n\s+at /.test(text) && lines[0]!.startsWith('telemq-sim: ');
}

/**
 * Broker auth for these tests and the matching simulator flags. With auth required, devices get
 * one signed token each (--secret) and the test's own clients an admin token.
 */
const TEST_SECRET = 'devices-sim-test-secret-0123456789';
const isAuthRequired = true;

export const testAuth = {
  broker: isAuthRequired ? ({ mode: 'required', jwtSecret: TEST_SECRET } as const) : ({ mode: 'none' } as const),
  simArgs: isAuthRequired ? ['--secret', TEST_SECRET] : [],
  /** MQTT.js options for a test client (subscriber, console) */
  async clientOptions(clientId: string): Promise<{ clientId: string; reconnectPeriod: number; username?: string; password?: string }> {
    if (!isAuthRequired) return { clientId, reconnectPeriod: 0 };
    const password = await mintToken({ sub: clientId, role: 'admin' }, { key: TEST_SECRET, ttlSec: 3600 });
    return { clientId, reconnectPeriod: 0, username: clientId, password };
  },
};
