import type { Socket } from 'node:net';
import type { TransportKind } from '../broker/types.ts';

export interface TrafficTotals {
  bytesReceived: number;
  bytesSent: number;
}

/**
 * Bytes on the wire by transport, read from the sockets' own counters when metrics are scraped:
 * nothing is counted per packet. Closed sockets are folded into the totals when they close.
 */
export interface TrafficMeter {
  track(kind: TransportKind, socket: Socket): void;
  totals(): Record<TransportKind, TrafficTotals>;
}

export function createTrafficMeter(): TrafficMeter {
  const closed: Record<TransportKind, TrafficTotals> = {
    tcp: { bytesReceived: 0, bytesSent: 0 },
    tls: { bytesReceived: 0, bytesSent: 0 },
    ws: { bytesReceived: 0, bytesSent: 0 },
    wss: { bytesReceived: 0, bytesSent: 0 },
  };
  const open = new Map<Socket, TransportKind>();
  return {
    track(kind, socket) {
      open.set(socket, kind);
      socket.once('close', () => {
        open.delete(socket);
        closed[kind].bytesReceived += socket.bytesRead;
        closed[kind].bytesSent += socket.bytesWritten;
      });
    },
    totals() {
      const out = structuredClone(closed);
      for (const [socket, kind] of open) {
        out[kind].bytesReceived += socket.bytesRead;
        out[kind].bytesSent += socket.bytesWritten;
      }
      return out;
    },
  };
}
