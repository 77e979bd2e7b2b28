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
