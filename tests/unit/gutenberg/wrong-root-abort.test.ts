import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { probeMirrorRoot } from '../../../electron/engine/gutenberg/wrong-root';
import type { Mirror } from '../../../electron/engine/mirror/types';

/**
 * HE s18 F4 (his test, taken in): a cancel while the wrong-root probe logs in to an FTP mirror must end the probe at once.
 * Before 9685b70 the abort listener was added before `client.access` (a cancel closed the client);
 * since, `access` runs before any listener, so a server slow to greet holds the probe (and the lanes
 * awaiting its verdict) for the whole `timeoutMs`. The server here accepts and never greets; the
 * job is cancelled once the probe's connection is accepted (order certain: the 'connection' event).
 */
let server: net.Server;
let port = 0;
const sockets: net.Socket[] = [];
let onConn: () => void = () => {};
beforeAll(async () => {
  server = net.createServer((s) => {
    sockets.push(s);
    onConn();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

it('a cancel during the probe\'s FTP login ends the probe (it waited for timeoutMs: 10 min here)', async () => {
  const ac = new AbortController();
  onConn = () => ac.abort();
  const mirror = { protocol: 'ftp' } as unknown as Mirror;
  const probe = probeMirrorRoot(mirror, `ftp://127.0.0.1:${port}/pub/x/`, undefined, undefined, 600_000, ac.signal, [3000]);
  const outcome = await probe.then((v) => `verdict ${v.kind}`, (e: unknown) => `rejected ${(e as Error).name}`);
  expect(outcome).toMatch(/^(rejected|verdict unknown)/);
}, 20_000);
