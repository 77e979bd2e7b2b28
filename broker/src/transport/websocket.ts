// MQTT over WebSocket with ws 8 and createWebSocketStream. websocket-stream is not used: its last
// release pins ws 3.3.3 (CVE-2021-32640, ReDoS in Sec-WebSocket-Protocol, where our tokens travel;
// CVE-2024-37890), and aedes' own docs moved to ws 8.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import type { TransportKind } from '../broker/types.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionGate } from './gate.ts';
import type { TrafficMeter } from './traffic.ts';
import { createMqttWebSocketStream } from './ws-stream.ts';

export type UpgradeDecision = { ok: true; token?: string } | { ok: false; status: number; reason: string };

/** Checks an upgrade request before it is accepted (origin, token on the URL or in the subprotocol). */
export type VerifyUpgrade = (req: IncomingMessage) => Promise<UpgradeDecision>;

export interface WebSocketTransportOptions {
  kind: Extract<TransportKind, 'ws' | 'wss'>;
  path: string;
  pingIntervalMs: number;
  maxPayloadBytes: number;
  broker: MqttBroker;
  gate: ConnectionGate;
  traffic: TrafficMeter;
  verifyUpgrade: VerifyUpgrade;
  log: Logger;
}

export interface WebSocketTransport {
  /** refuses new upgrades; open sockets stay */
  stopAccepting(): void;
  /** terminates what is still open */
  close(): Promise<void>;
}

/** Attaches MQTT over WebSocket to an HTTP server at one path, subprotocol `mqtt`. */
export function attachWebSocket(server: Server, options: WebSocketTransportOptions): WebSocketTransport {
  const { broker, gate, log, kind } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    perMessageDeflate: false,
    // [MQTT-6.0.0-3]: the server selects "mqtt"; a token may follow as a second entry.
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  const liveness = new WeakMap<WebSocket, Liveness>();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== options.path) return; // another handler may own this path
    socket.on('error', () => socket.destroy());
    const remoteAddress = req.socket.remoteAddress ?? 'unknown';
    options.verifyUpgrade(req).then(
      (decision) => {
        if (!decision.ok) return refuse(socket, decision.status, decision.reason);
        const admitted = gate.admit(kind, remoteAddress);
        if (!admitted.ok) return refuse(socket, 503, admitted.reason);
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.once('close', admitted.release);
          const state: Liveness = { socket: req.socket, bytesReadAtPing: req.socket.bytesRead, answered: true };
          liveness.set(ws, state);
          ws.on('pong', () => (state.answered = true));
          options.traffic.track(kind, req.socket);
          const stream = createMqttWebSocketStream(ws);
          stream.on('error', (err) => log.debug({ err: err.message }, 'websocket stream error'));
          broker.handle(stream, { transport: kind, remoteAddress, ...(decision.token ? { transportToken: decision.token } : {}) });
        });
      },
      (err: unknown) => {
        log.error({ err }, 'upgrade check failed');
        refuse(socket, 500, 'internal error');
      },
    );
  };
  server.on('upgrade', onUpgrade);

  // A socket that has sent nothing since the previous ping, not even the pong, is terminated.
  // Any bytes read count as life: under load a pong queues behind megabytes of a publisher's own
  // PUBLISH frames and can arrive long after the next ping. A socket whose reading we paused
  // (backpressure) is not judged at all, since its pong may be waiting in our own receive buffer.
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      const state = liveness.get(ws);
      if (!state || ws.isPaused) continue;
      const bytesRead = state.socket.bytesRead;
      if (!state.answered && bytesRead === state.bytesReadAtPing) {
        ws.terminate();
        continue;
      }
      state.answered = false;
      state.bytesReadAtPing = bytesRead;
      ws.ping();
    }
  }, options.pingIntervalMs);
  pinger.unref();

  return {
    stopAccepting() {
      server.off('upgrade', onUpgrade);
    },
    async close() {
      clearInterval(pinger);
      server.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

interface Liveness {
  socket: Socket;
  bytesReadAtPing: number;
  answered: boolean;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const body = JSON.stringify({ error: 'upgrade_refused', message: reason });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Error'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
