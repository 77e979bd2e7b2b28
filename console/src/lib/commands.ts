// The commands the console offers, the payload each sends, and how a reply is matched to its
// request: every command carries an `id` that the device echoes in its reply (devices-sim/src/commands.ts).

export type CommandName = 'set-interval' | 'reboot' | 'ping' | 'custom';

export const commandNames: readonly CommandName[] = ['set-interval', 'reboot', 'ping', 'custom'];

export type CommandBuild = { ok: true; name: string; body: Record<string, unknown> | null; text: string } | { ok: false; error: string };

export function buildCommand(kind: CommandName, input: { intervalMs: number; customName: string; customJson: string }, nowMs: number): CommandBuild {
  switch (kind) {
    case 'set-interval':
      if (!Number.isFinite(input.intervalMs) || input.intervalMs < 100) return { ok: false, error: 'interval must be at least 100 ms' };
      return { ok: true, name: kind, body: { intervalMs: Math.round(input.intervalMs) }, text: '' };
    case 'reboot':
      return { ok: true, name: kind, body: {}, text: '' };
    case 'ping':
      return { ok: true, name: kind, body: { ts: nowMs }, text: '' };
    case 'custom': {
      const name = input.customName.trim();
      if (!/^[^/#+]+$/.test(name)) return { ok: false, error: 'a command name is one topic level, without / + #' };
      let value: unknown;
      try {
        value = JSON.parse(input.customJson);
      } catch (err) {
        return { ok: false, error: `not JSON: ${(err as Error).message}` };
      }
      // Only an object can carry the correlation id; other JSON is sent as written.
      const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
      return { ok: true, name, body: isObject ? (value as Record<string, unknown>) : null, text: input.customJson };
    }
  }
}

/** The payload to send: the body with the correlation id, or the text as written. */
export function commandPayload(build: Extract<CommandBuild, { ok: true }>, id: string): string {
  return build.body ? JSON.stringify({ ...build.body, id }) : build.text;
}

export type CommandState = 'sending' | 'sent' | 'ok' | 'error' | 'no-reply' | 'not-sent';

export interface CommandEntry {
  id: string;
  name: string;
  sentAtMs: number;
  state: CommandState;
  /** reply time minus send time */
  roundTripMs: number | null;
  /** the reply (or why it was not sent), short */
  detail: string;
}

/** What a reply says: its correlation id, success, and a short text (error message or fields). */
export function readReply(text: string): { id: string | null; ok: boolean; detail: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { id: null, ok: true, detail: text };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { id: null, ok: true, detail: text };
  const { id, ok, error, ts: _ts, ...rest } = value as Record<string, unknown>;
  const isError = ok === false || typeof error === 'string';
  const detail = isError ? String(error ?? 'failed') : Object.entries(rest).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
  return { id: typeof id === 'string' ? id : null, ok: !isError, detail };
}
