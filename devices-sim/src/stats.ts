/** Counters of a fleet (or of one worker's part of it), mutated in place by its devices. */
export interface FleetStats {
  total: number;
  connected: number;
  /** telemetry messages handed to the client */
  sent: number;
  /** successful connections after the first, per device */
  reconnects: number;
  /** client errors: refused connections, socket errors, failed publishes */
  errors: number;
  commands: number;
  /** the latest client error, '' when none */
  lastError: string;
}

export function emptyStats(total = 0): FleetStats {
  return { total, connected: 0, sent: 0, reconnects: 0, errors: 0, commands: 0, lastError: '' };
}

export function addStats(into: FleetStats, more: FleetStats): FleetStats {
  into.total += more.total;
  into.connected += more.connected;
  into.sent += more.sent;
  into.reconnects += more.reconnects;
  into.errors += more.errors;
  into.commands += more.commands;
  if (more.lastError) into.lastError = more.lastError;
  return into;
}
