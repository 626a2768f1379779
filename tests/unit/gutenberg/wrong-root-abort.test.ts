import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isAbortError } from '../../../electron/engine/core/fanout-error';
import { probeMirrorRoot } from '../../../electron/engine/gutenberg/wrong-root';
import { openMirror } from '../../../electron/engine/mirror';

/**
 * HE s18 F4 (his test, taken in; since session 19 on the worker's session, the probe's only FTP
 * client): a cancel while the wrong-root probe lists the root of an FTP mirror ends the probe at
 * once, whether the session is still logging in (a server slow to greet held the probe, and the
 * lanes awaiting its verdict, for the whole `timeoutMs`) or waits for the answer to its CWD. The
 * servers here never greet, or greet, take any login and never answer CWD; the job is cancelled
 * once the connection is accepted, or once the CWD arrives (order certain: those events).
 */
let server: net.Server;
let port = 0;
const sockets: net.Socket[] = [];
/** What the server does with a connection: nothing (`silent`), or an FTP login then silence at CWD. */
let mode: 'silent' | 'no-cwd' = 'silent';
let onConn: () => void = () => {};
let onCwd: () => void = () => {};
let cwds = 0;
beforeAll(async () => {
  server = net.createServer((s) => {
    sockets.push(s);
    onConn();
    if (mode === 'silent') return;
    s.write('220 hello\r\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const cmd = buf.slice(0, i).split(' ')[0]!.toUpperCase();
        buf = buf.slice(i + 2);
        if (cmd === 'CWD') {
          cwds++;
          onCwd();
        }
        else s.write(cmd === 'USER' ? '230 logged in\r\n' : cmd === 'FEAT' ? '211 no features\r\n' : '200 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

it.each([
  ['login (the server never greets)', 'silent'],
  ['CWD (the server never answers it)', 'no-cwd'],
] as const)('a cancel during the session\'s %s ends the probe (it waited for timeoutMs: 10 min here)', async (_name, m) => {
  mode = m;
  cwds = 0;
  const ac = new AbortController();
  onConn = m === 'silent' ? () => ac.abort() : () => {};
  onCwd = () => ac.abort();
  const url = `ftp://127.0.0.1:${port}/pub/x/`;
  const mirror = openMirror(url, { timeoutMs: 600_000 });
  try {
    const outcome = await probeMirrorRoot(mirror, url, ac.signal, [3000], mirror.openSession(0)).then(
      (v) => `verdict ${v.kind}`,
      (e: unknown) => (isAbortError(e) ? 'cancelled' : `rejected ${String(e)}`),
    );
    expect(outcome).toBe('cancelled');
    expect(cwds).toBe(m === 'no-cwd' ? 1 : 0);
  } finally {
    await mirror.close();
  }
}, 20_000);
