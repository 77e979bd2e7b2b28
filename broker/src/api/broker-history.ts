// The broker's last hour for the console's broker page: connections and messages per second in
// and out, sampled every `intervalMs` into a fixed ring (360 samples: an hour at 10 s), so the
// page draws the hour before it was opened. Sampling reads plain counters on a timer; nothing is
// done per message. GET /api/broker-history, for any authenticated caller (as $SYS is).
import type { FastifyInstance } from 'fastify';
import type { BrokerHistoryResponse } from '../contract/index.ts';

export interface BrokerCounters {
  connections: number;
  /** running totals of messages received from and sent to clients */
  messagesIn: number;
  messagesOut: number;
}

export interface BrokerHistory {
  /** takes one sample now (the timer calls it) */
  sample(): void;
  read(): BrokerHistoryResponse;
  close(): Promise<void>;
}

export function createBrokerHistory(options: { read: () => BrokerCounters; intervalMs: number; windowMs: number; now?: () => number }): BrokerHistory {
  const now = options.now ?? Date.now;
  const capacity = Math.max(1, Math.ceil(options.windowMs / options.intervalMs));
  const columns = { t: new Float64Array(capacity), connections: new Float64Array(capacity), messagesIn: new Float64Array(capacity), messagesOut: new Float64Array(capacity) };
  let start = 0;
  let length = 0;
  let last = { atMs: now(), ...options.read() };

  function sample(): void {
    const current = { atMs: now(), ...options.read() };
    const seconds = (current.atMs - last.atMs) / 1000;
    if (seconds <= 0) return;
    // A counter that went back (it never should) counts as a restart from zero.
    const rate = (a: number, b: number) => (b >= a ? b - a : b) / seconds;
    const at = (start + length) % capacity;
    columns.t[at] = current.atMs;
    columns.connections[at] = current.connections;
    columns.messagesIn[at] = rate(last.messagesIn, current.messagesIn);
    columns.messagesOut[at] = rate(last.messagesOut, current.messagesOut);
    if (length < capacity) length += 1;
    else start = (start + 1) % capacity;
    last = current;
  }

  const timer = setInterval(sample, options.intervalMs);
  timer.unref();

  return {
    sample,
    read() {
      const column = (c: Float64Array) => Array.from({ length }, (_, i) => c[(start + i) % capacity]!);
      return { intervalMs: options.intervalMs, t: column(columns.t), connections: column(columns.connections), messagesIn: column(columns.messagesIn), messagesOut: column(columns.messagesOut) };
    },
    async close() {
      clearInterval(timer);
    },
  };
}

export interface BrokerHistoryDeps {
  read: () => BrokerCounters;
  intervalMs: number;
  windowMs: number;
}

export function registerBrokerHistoryRoute(app: FastifyInstance, deps: BrokerHistoryDeps): BrokerHistory {
  const history = createBrokerHistory(deps);
  app.get('/api/broker-history', { config: { auth: 'user' } }, () => history.read());
  return history;
}
