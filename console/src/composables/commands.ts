// The commands the console offers, and the payload each sends.

export type CommandName = 'set-interval' | 'reboot' | 'ping' | 'custom';

export const commandNames: readonly CommandName[] = ['set-interval', 'reboot', 'ping', 'custom'];

export type CommandBuild = { ok: true; name: string; payload: string } | { ok: false; error: string };

export function buildCommand(kind: CommandName, input: { intervalMs: number; customName: string; customJson: string }, nowMs: number): CommandBuild {
  switch (kind) {
    case 'set-interval':
      if (!Number.isFinite(input.intervalMs) || input.intervalMs < 100) return { ok: false, error: 'interval must be at least 100 ms' };
      return { ok: true, name: kind, payload: JSON.stringify({ intervalMs: Math.round(input.intervalMs) }) };
    case 'reboot':
      return { ok: true, name: kind, payload: '{}' };
    case 'ping':
      return { ok: true, name: kind, payload: JSON.stringify({ ts: nowMs }) };
    case 'custom': {
      const name = input.customName.trim();
      if (!/^[^/#+]+$/.test(name)) return { ok: false, error: 'a command name is one topic level, without / + #' };
      try {
        JSON.parse(input.customJson);
      } catch (err) {
        return { ok: false, error: `not JSON: ${(err as Error).message}` };
      }
      return { ok: true, name, payload: input.customJson };
    }
  }
}
