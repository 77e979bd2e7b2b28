// Presence, computed the same way whatever carries the live data (MQTT, SSE, long polling):
//   offline  the device's status topic says so (its last will, or a clean stop)
//   stale    no telemetry within `staleAfterIntervals` of the device's own interval, or the
//            console itself is disconnected (then nothing it shows is known to be current)
//   online   telemetry is arriving in time (or the status says online and none is due yet)
//   unknown  neither a status nor telemetry seen
import type { DeviceSummary } from '@telemq/broker/contract';

export type Presence = 'online' | 'offline' | 'stale' | 'unknown';
export const presences: readonly Presence[] = ['online', 'stale', 'offline', 'unknown'];

/** the interval assumed for a device until two of its messages were seen */
export const defaultIntervalMs = 10_000;

export interface PresenceInput {
  status: DeviceSummary['status'];
  lastSeen: number | null;
  /** the device's own telemetry interval as observed; null until known */
  intervalMs: number | null;
}

export function presenceOf(d: PresenceInput, nowMs: number, isConnected: boolean, staleAfterIntervals: number): Presence {
  if (d.status === 'unknown' && d.lastSeen === null) return 'unknown';
  if (!isConnected) return 'stale';
  if (d.status === 'offline') return 'offline';
  if (d.lastSeen === null) return 'online';
  const dueWithinMs = staleAfterIntervals * (d.intervalMs ?? defaultIntervalMs);
  return nowMs - d.lastSeen > dueWithinMs ? 'stale' : 'online';
}

/** A device's interval from successive telemetry times: a moving average that ignores outages. */
export function nextIntervalMs(previousMs: number | null, gapMs: number): number | null {
  if (gapMs <= 0) return previousMs;
  if (previousMs === null) return gapMs;
  // a gap far longer than usual is an outage, not a new interval (set-interval shows up as a few of them)
  if (gapMs > 20 * previousMs) return previousMs;
  return Math.round(previousMs * 0.7 + gapMs * 0.3);
}
