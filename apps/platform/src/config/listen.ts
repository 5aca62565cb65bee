import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer } from 'node:net';

/**
 * Pending connections the kernel may queue per listening socket (capped by net.core.somaxconn).
 * Node's default of 511 overflows when tens of thousands of devices reconnect at once after a restart.
 */
const LISTEN_BACKLOG = 8192;

/** Listens on a port; a port in use fails with a message naming the port and its variable. */
export function listen(server: NetServer | HttpServer, port: number, host: string, variable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} is already in use: set ${variable} to a free port (0 picks one)`)
          : new Error(`cannot listen on ${host}:${port} (${variable}): ${error.message}`),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, backlog: LISTEN_BACKLOG });
  });
}
