import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailJobSpecSchema, type MailAccount } from '../../../shared/job-spec';
import type { JobEvent } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMailbox } from '../../harness/dovecot-fill';
import { startDante, type DanteServer } from '../../harness/dante-server';
import { startTinyproxy, type TinyproxyServer } from '../../harness/tinyproxy-server';

let srv: DovecotServer;
let socks: DanteServer;
let http: TinyproxyServer;
let dir: string;
let account: MailAccount;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-proxy-mail-'));
  [srv, socks, http] = await Promise.all([startDovecot(), startDante(), startTinyproxy()]);
  const admin = await srv.connect();
  await fillMailbox(admin, [{ path: 'INBOX', count: 60 }, { path: 'Sent', count: 25 }]);
  await admin.logout();
  account = { host: srv.host, port: srv.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password: srv.password } };
});
afterAll(async () => {
  await Promise.allSettled([srv?.stop(), socks?.stop(), http?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function archive(name: string, acct: MailAccount) {
  const outDir = join(dir, name);
  const events: JobEvent[] = [];
  const summary = await runMailJob(MailJobSpecSchema.parse({ kind: 'mail', account: acct, outDir, connections: 2 }), createJobControl((e) => events.push(e)));
  return { summary, events, files: await emlHashes(outDir) };
}

/** Every archived message file (relative path → sha256); null when the job left no folder at all. */
async function emlHashes(root: string): Promise<Record<string, string> | null> {
  const out: Record<string, string> = {};
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!entries) return null;
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.eml')) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(root, path)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return out;
}

describe('IMAP through a proxy (SOCKS: socks-transport.ts; HTTP CONNECT: imapflow proxy option)', () => {
  it('SOCKS5 and SOCKS4 (Dante) and HTTP CONNECT (tinyproxy): the same archive as direct, byte for byte, through the proxy', async () => {
    const direct = await archive('direct', account);
    expect(direct.summary.status).toBe('succeeded');
    expect(Object.keys(direct.files ?? {})).toHaveLength(85);
    for (const [name, proxy, log] of [['socks5', socks.url, () => socks.log()], ['socks4', socks.url.replace('socks5://', 'socks4://'), () => socks.log()], ['http', http.url, () => http.log()]] as const) {
      const viaProxy = await archive(`via-${name}`, { ...account, proxy });
      expect(viaProxy.summary.status, name).toBe('succeeded');
      expect(viaProxy.files, name).toEqual(direct.files);
      // The proxy relayed connections to the IMAP port (Dante logs "… 127.0.0.1.PORT", tinyproxy "CONNECT 127.0.0.1:PORT").
      expect(await log(), name).toMatch(new RegExp(`127\\.0\\.0\\.1[.:]${srv.port}\\b`));
    }
  });

  it('a proxy that is not there fails the job at once with a message naming the proxy', async () => {
    const { summary, events, files } = await archive('no-proxy-there', { ...account, proxy: 'socks5://127.0.0.1:1' });
    expect(summary.status).toBe('failed');
    // Refused before anything was written: no output folder left behind (prepare-folder's release).
    expect(files).toBeNull();
    expect(JSON.stringify(events)).toMatch(/proxy/i);
    expect(summary.failures).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'CONNECTION_REFUSED', message: expect.stringMatching(/through the proxy: .*ECONNREFUSED/) }) })]);
  });

  it('a proxy URL Fanout cannot use is refused by the account schema', () => {
    expect(() => MailJobSpecSchema.parse({ kind: 'mail', account: { ...account, proxy: 'ftp://x:1' }, outDir: dir })).toThrow(/not supported for mail/);
  });
});
