import { describe, expect, test } from 'vitest';
import { nextIntervalMs, presenceOf, type PresenceInput } from '../src/fleet/presence.ts';

describe('presence', () => {
  const now = 100_000;
  test.each<[string, PresenceInput, boolean, string]>([
    ['nothing seen', { status: 'unknown', lastSeen: null, intervalMs: null }, true, 'unknown'],
    ['nothing seen, disconnected', { status: 'unknown', lastSeen: null, intervalMs: null }, false, 'unknown'],
    ['status online, no telemetry yet', { status: 'online', lastSeen: null, intervalMs: null }, true, 'online'],
    ['telemetry in time', { status: 'online', lastSeen: now - 2500, intervalMs: 1000 }, true, 'online'],
    ['three intervals late', { status: 'online', lastSeen: now - 3001, intervalMs: 1000 }, true, 'stale'],
    ['telemetry without a status (SSE, poll)', { status: 'unknown', lastSeen: now - 500, intervalMs: 1000 }, true, 'online'],
    ['interval unknown: 10 s assumed', { status: 'unknown', lastSeen: now - 29_000, intervalMs: null }, true, 'online'],
    ['old telemetry from the store', { status: 'unknown', lastSeen: now - 31_000, intervalMs: null }, true, 'stale'],
    ['offline', { status: 'offline', lastSeen: now - 10, intervalMs: 1000 }, true, 'offline'],
    ['the console is disconnected', { status: 'online', lastSeen: now - 10, intervalMs: 1000 }, false, 'stale'],
  ])('%s', (_name, input, isConnected, expected) => {
    expect(presenceOf(input, now, isConnected, 3)).toBe(expected);
  });

  test('the interval follows the device and ignores outages', () => {
    expect(nextIntervalMs(null, 1000)).toBe(1000);
    expect(nextIntervalMs(1000, 2000)).toBe(1300);
    expect(nextIntervalMs(1000, 60_000)).toBe(1000);
    expect(nextIntervalMs(1000, 0)).toBe(1000);
  });
});
