import type { Server } from 'node:net';
import { AppError } from '../errors.ts';

/** Listens and resolves with the bound port (useful with port 0). */
export function listen(server: Server, port: number, host: string, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (cause: Error) => reject(new AppError('LISTEN_FAILED', `${name} cannot listen on ${host}:${port}: ${cause.message}`, { cause }));
    server.once('error', onError);
    server.listen(port, host, () => {
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
