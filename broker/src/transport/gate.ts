import type { TransportKind } from '../broker/types.ts';

export type Admission = { ok: true; release: () => void } | { ok: false; reason: string };

/**
 * Decides whether a new connection may proceed before any MQTT byte is read, and counts it.
 * The guards module provides the real limits (per-IP connections and attempts).
 */
export interface ConnectionGate {
  admit(transport: TransportKind, remoteAddress: string): Admission;
  /** connections open now, by transport */
  open(): Record<TransportKind, number>;
}

/** Counts connections; refuses nothing. */
export function createCountingGate(): ConnectionGate {
  const counts: Record<TransportKind, number> = { tcp: 0, tls: 0, ws: 0, wss: 0 };
  return {
    admit(transport) {
      counts[transport]++;
      let released = false;
      return {
        ok: true,
        release: () => {
          if (released) return;
          released = true;
          counts[transport]--;
        },
      };
    },
    open: () => ({ ...counts }),
  };
}
