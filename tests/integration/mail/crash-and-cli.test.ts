import { execFile, spawn } from 'node:child_process';
import { readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { startCourier } from '../../harness/courier';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';
import type { ImapTestServer } from '../../harness/imap-server';
import { startTcpProxy, type TcpProxy } from '../../harness/tcp-proxy';
import { archivedFolderDir, expectArchived, readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { accountDir } from '../../../electron/engine/mail/run-mail-job';
import type { JobSummary } from '../../../shared/events';

const exec = promisify(execFile);
const entry = join(__dirname, 'cli-entry.ts');

/** Courier: the server that sends no UIDNEXT and has no CONDSTORE, through the CLI a user runs. */
describe('fanout mail CLI on Courier: honest numbers, SIGKILL and torn files', () => {
  let srv: ImapTestServer;
  let admin: ImapFlow;
  let proxy: TcpProxy;
  let out: string;
  let bed: MailTestBed<ImapTestServer>;
  const env = () => ({ ...process.env, FANOUT_TEST_PW: srv.password });
  const args = (port: number, ...more: string[]) => ['--import', 'tsx', entry, 'mail', '--host', '127.0.0.1', '--port', String(port), '--tls', 'none', '--user', srv.user, '--password-env', 'FANOUT_TEST_PW', '--out', out, ...more];
  const folderDir = (path: string) =>
    archivedFolderDir(accountDir({ outDir: out, account: { host: '127.0.0.1', user: srv.user, tls: 'none', allowUntrustedCert: false, auth: { method: 'password', password: srv.password } } }), path);
  const expectComplete = (path: string) => expectArchived(admin, path, folderDir(path));

  beforeAll(async () => {
    bed = await openMailTestBed(() => startCourier(), {
      tmpPrefix: 'fanout-courier-cli-',
      folders: [{ path: 'INBOX', count: 30 }, { path: 'INBOX.Archive.2019', count: 12 }, { path: 'INBOX.Bulk', count: 160 }],
      seed: 5,
    });
    ({ srv, admin, out } = bed);
    proxy = await startTcpProxy({ targetPort: srv.port, delayMs: 4 });
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await bed?.stop();
  });

  it('archives every message, prints per-folder numbers and the cleartext warning once', async () => {
    const r = await exec(process.execPath, args(srv.port, '--folders', 'INBOX,INBOX.Archive.2019'), { env: env() });
    expect(r.stderr.match(/Cleartext IMAP/g)?.length).toBe(1);
    expect(r.stderr).toMatch(/INBOX\s+30 = 0 \+ 30 \+ 0/);
    expect(r.stderr).toMatch(/INBOX\.Archive\.2019\s+12 = 0 \+ 12 \+ 0/);
    expect(await expectComplete('INBOX')).toBe(30);
    expect(await expectComplete('INBOX.Archive.2019')).toBe(12);
    const again = await exec(process.execPath, args(srv.port, '--folders', 'INBOX,INBOX.Archive.2019', '--json'), { env: env() });
    const summary = JSON.parse(again.stdout) as JobSummary;
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(0);
    expect(summary.mailFolders?.map((t) => [t.folder, t.onServer, t.archivedBefore, t.fetched])).toEqual([
      ['INBOX', 30, 30, 0],
      ['INBOX.Archive.2019', 12, 12, 0],
    ]);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('after SIGKILL mid-run and torn files, a re-run completes the folder byte for byte', async () => {
    const child = spawn(process.execPath, args(proxy.port, '--folders', 'INBOX.Bulk', '--connections', '2'), { env: env(), stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // Kill once some messages are indexed (bounded wait; the proxy's delay keeps the run going).
    const deadline = Date.now() + 30_000;
    let indexed = 0;
    while (Date.now() < deadline) {
      try {
        indexed = readIndex(folderDir('INBOX.Bulk')).length;
      } catch {
        indexed = 0;
      }
      if (indexed >= 30) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    expect(indexed).toBeGreaterThanOrEqual(30);
    const dir = folderDir('INBOX.Bulk');
    const index = readIndex(dir);
    expect(index.length).toBeLessThan(160);
    // A power loss's leftovers: two files lose their index line, one of them also its tail;
    // an empty file for a message never fetched.
    const [torn, intact] = index.slice(-2);
    writeFileSync(join(dir, 'index.jsonl'), index.slice(0, -2).map((r) => `${JSON.stringify(r)}\n`).join(''));
    truncateSync(join(dir, torn!.file), Math.floor(torn!.size / 2));
    const never = 160;
    if (!index.some((r) => r.uid === never)) writeFileSync(join(dir, `${never}.eml`), '');
    // Files renamed into place whose line the kill prevented are complete (written to a temp name first).
    const kept = new Set(index.slice(0, -2).map((x) => x.file));
    const completeOrphans = readdirSync(dir).filter((n) => /^\d+\.eml$/.test(n) && !kept.has(n) && n !== torn!.file && n !== `${never}.eml`).length;
    expect(completeOrphans).toBeGreaterThanOrEqual(1);

    const r = await exec(process.execPath, args(srv.port, '--folders', 'INBOX.Bulk', '--json'), { env: env() });
    const summary = JSON.parse(r.stdout) as JobSummary;
    expect(summary.status).toBe('succeeded');
    // The intact orphan is adopted, the torn one and the rest are fetched: nothing twice, nothing lost.
    expect(summary.itemsDone).toBe(160 - (index.length - 2) - completeOrphans);
    expect(readIndex(dir).find((x) => x.uid === intact!.uid)?.sha256).toBe(intact!.sha256);
    expect(await expectComplete('INBOX.Bulk')).toBe(160);
  }, CLI_FROM_SOURCE_TEST_MS);
});
