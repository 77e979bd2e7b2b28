import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import type { TransportKind } from '../broker/types.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionGate } from './gate.ts';
import { joinSocketWrites } from './joined-writes.ts';
import type { TrafficMeter } from './traffic.ts';

export interface TcpListenerOptions {
  kind: Extract<TransportKind, 'tcp' | 'tls'>;
  broker: MqttBroker;
  gate: ConnectionGate;
  log: Logger;
  traffic: TrafficMeter;
  tls?: { certFile: string; keyFile: string } | null;
}

/** MQTT over TCP, or over TLS when a cert and key are given. */
export function createTcpListener(options: TcpListenerOptions): net.Server {
  const { broker, gate, kind, log } = options;
  const onSocket = (socket: net.Socket) => {
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    // A peer may reset the connection at any moment, even before the broker owns the socket; an
    // 'error' with no listener would end the process.
    socket.on('error', (err) => log.debug({ remoteAddress, err: err.message }, 'socket error'));
    socket.setNoDelay(true);
    joinSocketWrites(socket);
    const admitted = gate.admit(kind, remoteAddress);
    if (!admitted.ok) {
      log.debug({ remoteAddress, reason: admitted.reason }, 'connection refused');
      socket.destroy();
      return;
    }
    socket.once('close', admitted.release);
    options.traffic.track(kind, socket);
    broker.handle(socket, { transport: kind, remoteAddress });
  };
  if (kind === 'tls') {
    if (!options.tls) throw new Error('tls listener needs a certificate');
    const server = tls.createServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, onSocket);
    server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'tls handshake failed'));
    return server;
  }
  return net.createServer(onSocket);
}
