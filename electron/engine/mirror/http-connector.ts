import type { Socket } from 'node:net';
import type { buildConnector as BuildConnector } from 'undici';
import { buildConnector } from './undici-parts';

/**
 * undici's connector (TLS options, connect timeout) with every socket guarded: an exception thrown
 * by a listener of the socket's events (undici's HTTP/1 parser runs inside them) destroys that
 * socket with the exception instead of escaping to the process. undici then fails the requests of
 * that connection with it, and the run retries their books; the process lives on. The case seen:
 * undici 7's `assert(!this.paused)` on the socket's end (see http-response.ts, which avoids it).
 */
export function guardedConnector(options: BuildConnector.BuildOptions): BuildConnector.connector {
  const connect = buildConnector(options);
  return (opts, callback) =>
    connect(opts, (err, socket) => {
      if (socket) guardSocket(socket as Socket);
      callback(err, socket as never);
    });
}

/** Makes `socket.emit` turn a listener's exception into `socket.destroy(exception)`. */
export function guardSocket(socket: Socket): void {
  const emit = socket.emit.bind(socket);
  socket.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    try {
      return emit(event, ...args);
    } catch (e) {
      // An error event nobody handles stays what it is; anything else ends this connection only.
      if (event === 'error') throw e;
      socket.destroy(e instanceof Error ? e : new Error(String(e)));
      return true;
    }
  }) as Socket['emit'];
}
