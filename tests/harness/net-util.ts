import net from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 (bind to port 0, read it, close). Another
 * process may grab it before the caller binds it: callers that spawn a server retry on failure.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Connects to `port` and waits for the first bytes the server sends (an FTP banner), or for the
 * connection alone when `expectBanner` is false. With `quit`, sends `QUIT` and waits for the server
 * to close. Resolves with the banner; rejects after `timeoutMs`.
 */
export function probe(port: number, timeoutMs: number, expectBanner = true, quit = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`probe timeout on port ${port}`));
    }, timeoutMs);
    const done = (err: Error | null, banner = '') => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(banner);
    };
    sock.once('error', (e) => done(e));
    sock.once('connect', () => {
      if (!expectBanner) done(null);
    });
    sock.once('data', (d) => {
      if (!quit) return done(null, d.toString('latin1'));
      // Say goodbye so the server's session ends (and stops counting against per-IP limits).
      sock.write('QUIT\r\n');
      sock.once('close', () => done(null, d.toString('latin1')));
    });
  });
}

/**
 * Polls `probe` until the server answers: at most `attempts` tries, `intervalMs` apart, each
 * bounded by `intervalMs * 4`. Throws the last error when the server never answered.
 */
export async function waitForPort(
  port: number,
  opts: { attempts?: number; intervalMs?: number; expectBanner?: boolean; quit?: boolean; isAlive?: () => boolean } = {},
): Promise<string> {
  const attempts = opts.attempts ?? 100;
  const interval = opts.intervalMs ?? 50;
  let last: unknown = null;
  for (let i = 0; i < attempts; i++) {
    if (opts.isAlive && !opts.isAlive()) throw new Error(`server on port ${port} exited before accepting connections`);
    try {
      return await probe(port, Math.max(interval * 4, 1000), opts.expectBanner ?? true, opts.quit ?? false);
    } catch (e) {
      last = e;
      await delay(interval);
    }
  }
  throw new Error(`server on port ${port} did not accept connections: ${String(last)}`);
}
