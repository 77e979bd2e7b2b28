// Reconnect delays: exponential growth with "full jitter" (a uniform draw between 0 and the
// capped exponential), so a fleet of consoles that lost the broker together does not return together.

export interface BackoffOptions {
  /** first ceiling, ms (default 500) */
  baseMs?: number;
  /** largest delay, ms (default 30 000) */
  capMs?: number;
  /** smallest delay, ms, so a retry never spins (default 250) */
  floorMs?: number;
}

export const defaultBackoff = { baseMs: 500, capMs: 30_000, floorMs: 250 } as const;

/** The ceiling for attempt n (0-based): min(cap, base * 2^n). */
export function backoffCeilingMs(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? defaultBackoff.baseMs;
  const capMs = options.capMs ?? defaultBackoff.capMs;
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
}

/** Full jitter: uniform in [floor, ceiling(attempt)]. */
export function backoffDelayMs(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const floorMs = options.floorMs ?? defaultBackoff.floorMs;
  const ceiling = backoffCeilingMs(attempt, options);
  return Math.max(floorMs, Math.round(random() * ceiling));
}
