/**
 * A quick listing started before the job's code loads (startEarlyQuickList, as `fanout mail` does)
 * is taken up only by the job that asks for the same account, archive folder and timeout; any other
 * ask drops it (its connection closed), and it is taken at most once. Against a local TCP server
 * that accepts, reads and stays silent (the listing never settles on its own here).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDir } from '../../../electron/engine/mail/run-mail-job';
import { earlyQuickListWritten, peekEarlyQuickList, startEarlyQuickList, takeEarlyQuickList } from '../../../electron/engine/mail/quick-list';
import type { MailAccount } from '../../../shared/job-spec';

let server: Server;
let out: string;
const sockets: Socket[] = [];
/** What each connection (by its index in `sockets`) has received. */
const received: string[] = [];
let account: MailAccount;

/** Resolves when the server has seen `n` connections in all. */
async function connections(n: number): Promise<void> {
  for (let i = 0; i < 500 && sockets.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(sockets.length).toBe(n);
}

/** Resolves when the server has seen `n` connections in all, and each of them closed. */
async function closedConnections(n: number): Promise<void> {
  for (let i = 0; i < 500 && !(sockets.length >= n && sockets.every((s) => s.closed)); i++) await new Promise((r) => setTimeout(r, 10));
  expect(sockets.length).toBe(n);
  expect(sockets.every((s) => s.closed)).toBe(true);
}

beforeAll(async () => {
  server = createServer((s) => {
    const at = sockets.push(s) - 1;
    received[at] = '';
    s.on('error', () => undefined);
    // Read what the listing writes (LOGIN and LIST leave as soon as it connects): unread data would
    // also hold back the socket's 'end', so a client's close would never show here as `closed`.
    s.on('data', (d: Buffer) => (received[at] += d.toString('latin1')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  account = { host: '127.0.0.1', port, tls: 'none', allowUntrustedCert: false, user: 'u', auth: { method: 'password', password: 'p' } };
  out = mkdtempSync(join(tmpdir(), 'fanout-early-'));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  rmSync(out, { recursive: true, force: true });
});

describe('startEarlyQuickList / takeEarlyQuickList', () => {
  it('starts nothing for a first run (no folders.json) or an account the quick way does not handle', () => {
    expect(startEarlyQuickList(account, out)).toBe(false);
    expect(startEarlyQuickList({ ...account, auth: { method: 'oauth2', accessToken: 't' } }, out)).toBe(false);
    expect(takeEarlyQuickList(account, accountDir({ outDir: out, account }), {})).toBeNull();
  });

  it('the same account, folder (as the job names it) and timeout take it up once; the job\'s abort stops it', async () => {
    const root = accountDir({ outDir: out, account });
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'folders.json'), '{"version":1,"dirs":{}}\n');
    expect(startEarlyQuickList(account, out)).toBe(true);
    await connections(1);
    const control = new AbortController();
    const listing = takeEarlyQuickList(account, root, { timeoutMs: 60_000, signal: control.signal });
    expect(listing).not.toBeNull();
    expect(takeEarlyQuickList(account, root, { timeoutMs: 60_000 })).toBeNull();
    control.abort();
    await expect(listing).rejects.toMatchObject({ code: 'ABORTED' });
    await closedConnections(1);
  });

  it('another folder, account or timeout drops it (its connection closed)', async () => {
    const root = accountDir({ outDir: out, account });
    for (const [i, ask] of [
      [join(root, 'x'), account, undefined],
      [root, { ...account, user: 'v' }, undefined],
      [root, account, 5_000],
    ].entries()) {
      expect(startEarlyQuickList(account, out)).toBe(true);
      await connections(2 + i);
      expect(takeEarlyQuickList(ask[1] as MailAccount, ask[0] as string, { timeoutMs: ask[2] as number | undefined })).toBeNull();
      await closedConnections(2 + i);
      expect(takeEarlyQuickList(account, root, {})).toBeNull();
    }
  });

  it('a second start for the same account, folder and timeout keeps the one under way (one connection); another timeout replaces it', async () => {
    const root = accountDir({ outDir: out, account });
    const before = sockets.length;
    expect(startEarlyQuickList(account, out, 60_000)).toBe(true);
    await connections(before + 1);
    // As MailAccountSchema leaves it (key order of the schema) or as mail-early.ts builds it: the same listing.
    const reordered: MailAccount = { auth: { password: 'p', method: 'password' }, user: 'u', allowUntrustedCert: false, tls: 'none', port: account.port, host: '127.0.0.1' } as MailAccount;
    expect(startEarlyQuickList(reordered, out)).toBe(true);
    expect(sockets.length).toBe(before + 1);
    const kept = peekEarlyQuickList(account, root, undefined);
    expect(kept).not.toBeNull();
    expect(startEarlyQuickList(account, out, 5_000)).toBe(true);
    await connections(before + 2);
    expect(peekEarlyQuickList(account, root, undefined)).toBeNull();
    const other = takeEarlyQuickList(account, root, { timeoutMs: 5_000 });
    expect(other).not.toBeNull();
    // The replaced one was aborted (its connection closed), the other closes with its server.
    await expect(kept).rejects.toMatchObject({ code: 'ABORTED' });
    sockets[before + 1]!.destroy();
    await expect(other).resolves.toMatchObject({ ok: false });
  });

  it('earlyQuickListWritten: at once without a listing, else when LOGIN and LIST are written (as soon as it connects); LOGOUT after the greeting', async () => {
    const root = accountDir({ outDir: out, account });
    await expect(earlyQuickListWritten(60_000)).resolves.toBeUndefined();
    const before = sockets.length;
    expect(startEarlyQuickList(account, out)).toBe(true);
    await earlyQuickListWritten(60_000);
    await connections(before + 1);
    const at = before;
    for (let i = 0; i < 500 && !received[at]!.includes('Q2 LIST'); i++) await new Promise((r) => setTimeout(r, 10));
    // Written before any greeting: LOGIN and LIST, not LOGOUT.
    expect(received[at]).toMatch(/^Q1 LOGIN "u" "p"\r\nQ2 LIST .*\r\n$/);
    sockets[at]!.write('* OK [CAPABILITY IMAP4rev1 LIST-STATUS CONDSTORE] ready\r\n');
    for (let i = 0; i < 500 && !received[at]!.includes('Q3 LOGOUT'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(received[at]).toMatch(/^Q1 LOGIN "u" "p"\r\nQ2 LIST .*\r\nQ3 LOGOUT\r\n$/);
    const listing = takeEarlyQuickList(account, root, {});
    sockets[at]!.destroy();
    await expect(listing).resolves.toMatchObject({ ok: false });
  });
});
