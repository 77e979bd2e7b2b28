import type { Server } from 'node:net';
import { AppError } from '../errors.ts';

/**
 * Connections the kernel completes and holds until the broker accepts them. Node's default, 511,
 * is too few for a fleet reconnecting at once: past it the kernel drops the SYN, the device retries
 * only after 1 s, 3 s, 7 s… and a device with a 10 s connect timeout gives up and retries again.
 * The kernel caps it at net.core.somaxconn (4096 by default since Linux 5.4).
 */
export const listenBacklog = 4096;

/** Listens and resolves with the bound port (useful with port 0). */
export function listen(server: Server, port: number, host: string, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (cause: Error) => reject(new AppError('LISTEN_FAILED', `${name} cannot listen on ${host}:${port}: ${cause.message}`, { cause }));
    server.once('error', onError);
    server.listen({ port, host, backlog: listenBacklog }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Stops accepting new connections. It does not wait for open ones: the broker closes its clients
 * afterwards, and waiting here first would wait on them forever.
 */
export function stopAccepting(server: Server): Promise<void> {
  if (server.listening) server.close();
  return Promise.resolve();
}
