// What a device does with a command: a pure decision, carried out by device.ts.
//   ping          → reply { ok: true, ts }
//   set-interval  { "intervalMs": 500 } or { "interval": "500ms" } → new telemetry period, reply
//   reboot        → reply, drop the connection, come back after a moment
import { parseDurationMs } from './duration.ts';

export type CommandAction =
  | { kind: 'reply'; reply: Record<string, unknown> }
  | { kind: 'set-interval'; intervalMs: number; reply: Record<string, unknown> }
  | { kind: 'reboot'; reply: Record<string, unknown> };

export const MIN_INTERVAL_MS = 10;
export const MAX_INTERVAL_MS = 3_600_000;

export function decideCommand(name: string, payload: Buffer, nowMs: number): CommandAction {
  const body = parseBody(payload);
  const base = body.id !== undefined ? { id: body.id } : {};
  switch (name) {
    case 'ping':
      return { kind: 'reply', reply: { ...base, ok: true, ts: nowMs } };
    case 'set-interval': {
      const intervalMs = typeof body.intervalMs === 'number' ? body.intervalMs : typeof body.interval === 'string' ? parseDurationMs(body.interval) : undefined;
      if (intervalMs === undefined || !Number.isFinite(intervalMs) || intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS) {
        return { kind: 'reply', reply: { ...base, ok: false, error: `expected {"intervalMs": ${MIN_INTERVAL_MS}..${MAX_INTERVAL_MS}} or {"interval": "500ms"}` } };
      }
      return { kind: 'set-interval', intervalMs: Math.round(intervalMs), reply: { ...base, ok: true, intervalMs: Math.round(intervalMs) } };
    }
    case 'reboot':
      return { kind: 'reboot', reply: { ...base, ok: true, ts: nowMs } };
    default:
      return { kind: 'reply', reply: { ...base, ok: false, error: `unknown command ${name}` } };
  }
}

function parseBody(payload: Buffer): Record<string, unknown> {
  if (payload.length === 0) return {};
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
