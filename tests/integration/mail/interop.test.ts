import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { makeMessage, rng } from '../../harness/dovecot-fill';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { IMAP_MATRIX, startImapServer } from '../../harness/imap-servers';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { listMailFolders } from '../../../electron/engine/mail/folders';
import { defaultMailTools } from '../../../electron/engine/jobs/default-runners';
import { folderRows } from '../../../renderer/src/lib/mail-folder-tree';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';
import type { JobEvent, JobSummary } from '../../../shared/events';
import { archivedFolderDir, readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

/**
 * The interop matrix: the same mailbox on Dovecot, Cyrus (both separators) and Courier, with the
 * layouts real servers use (prefix, separator, nested folders whose parent was never created,
 * non-ASCII names on the wire as modified UTF-7, spaces and "&", an empty folder).
 */
const LAYOUT = [
  { logical: 'INBOX', count: 20 },
  { logical: 'Archive/2019', count: 8 },
  { logical: 'Archive/2020', count: 6 },
  { logical: 'Projekte/Größe/Überblick', count: 5 },
  { logical: 'Rock & Roll Sent', count: 5 },
  { logical: 'Ελληνικά', count: 4 },
  { logical: 'Empty', count: 0 },
];
const TOTAL = LAYOUT.reduce((n, f) => n + f.count, 0);

interface ServerMessage {
  uid: number;
  source: Buffer;
  flags: string[];
  internalDate: Date;
}

async function serverMessages(client: ImapFlow, path: string): Promise<{ uidValidity: string; messages: ServerMessage[] }> {
  const mb = await client.mailboxOpen(path, { readOnly: true });
  const messages: ServerMessage[] = [];
  if (mb.exists > 0) {
    for await (const m of client.fetch('1:*', { uid: true, source: true, flags: true, internalDate: true }, { uid: true })) {
      messages.push({ uid: m.uid, source: m.source!, flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(), internalDate: new Date(m.internalDate!) });
    }
  }
  await client.mailboxClose();
  return { uidValidity: String(mb.uidValidity), messages };
}

describe.each(IMAP_MATRIX)('mail archive interop: %s', (entry) => {
  let srv: ImapTestServer;
  let admin: ImapFlow;
  let out: string;
  let root: string;
  let account: MailAccount;
  let bed: MailTestBed<ImapTestServer>;
  let flagsBefore: Map<string, string>;
  const path = (logical: string) => serverPath(srv, logical);
  const folderDir = (logical: string) => archivedFolderDir(root, path(logical));

  const run = async (folders: 'all' | string[] = 'all'): Promise<{ summary: JobSummary; events: JobEvent[] }> => {
    const events: JobEvent[] = [];
    const summary = await runMailJob(
      { kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive', folders },
      createJobControl((e) => events.push(e)),
      { limits: { chunkMessages: 7 } },
    );
    return { summary, events };
  };

  const allFlags = async () => {
    const map = new Map<string, string>();
    for (const f of LAYOUT) for (const m of (await serverMessages(admin, path(f.logical))).messages) map.set(`${f.logical}:${m.uid}`, m.flags.join(' '));
    return map;
  };

  /** Every message the server holds in `logical` is in the archive, byte-identical, flags and mtime right. */
  const expectArchived = async (logical: string) => {
    const { uidValidity, messages } = await serverMessages(admin, path(logical));
    const dir = folderDir(logical);
    const index = readIndex(dir).filter((r) => r.uidValidity === uidValidity);
    expect(index.length, `${logical}: index lines of the current generation`).toBe(messages.length);
    const byUid = new Map(index.map((r) => [r.uid, r]));
    for (const m of messages) {
      const rec = byUid.get(m.uid);
      expect(rec, `${logical} UID ${m.uid} not in the index`).toBeDefined();
      const file = join(dir, rec!.file);
      expect(readFileSync(file).equals(m.source), `${logical} UID ${m.uid} differs`).toBe(true);
      expect(rec!.sha256).toBe(createHash('sha256').update(m.source).digest('hex'));
      expect(rec!.flags).toEqual(m.flags);
      expect(Math.abs(statSync(file).mtimeMs - m.internalDate.getTime()), `${logical} UID ${m.uid} mtime`).toBeLessThan(1000);
    }
    return messages.length;
  };

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), {
      tmpPrefix: `fanout-interop-${entry}-`,
      folders: (s) => LAYOUT.map((f) => ({ path: serverPath(s, f.logical), count: f.count })),
      seed: 17,
      crlf: true,
    });
    ({ srv, admin, out } = bed);
    flagsBefore = await allFlags();
    account = bed.account();
    root = accountDir({ outDir: out, account });
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
  });

  it('lists the real hierarchy, parents that cannot be selected included', async () => {
    const folders = await listMailFolders(account);
    const byPath = new Map(folders.map((f) => [f.path, f]));
    for (const f of LAYOUT) expect(byPath.get(path(f.logical))?.selectable, f.logical).toBe(true);
    const leaf = byPath.get(path('Archive/2019'))!;
    expect(leaf.parent).toBe(path('Archive'));
    expect(leaf.delimiter).toBe(srv.separator);
    // The parent is listed (selectable or not: Cyrus creates it, Dovecot and Courier do not).
    expect(byPath.has(path('Archive')), 'the parent folder is listed').toBe(true);
    expect(byPath.get(path('Projekte/Größe/Überblick'))!.parent).toBe(path('Projekte/Größe'));
  });

  it("the folder picker shows the server's tree: each folder right under its parent, containers included", async () => {
    const rows = folderRows(await defaultMailTools.folders(account));
    const at = (p: string) => rows.findIndex((r) => r.folder.path === p);
    for (const f of LAYOUT) expect(rows[at(path(f.logical))]?.folder.selectable, f.logical).toBe(true);
    for (const leaf of ['Archive/2019', 'Projekte/Größe/Überblick']) {
      const parent = leaf.slice(0, leaf.lastIndexOf('/'));
      const i = at(path(leaf));
      const p = at(path(parent));
      expect(p, `${parent} is a row`).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(i);
      expect(rows[i]!.depth).toBe(rows[p]!.depth + 1);
      // Every row between the parent and the leaf is deeper than the parent (its subtree).
      for (let k = p + 1; k < i; k++) expect(rows[k]!.depth).toBeGreaterThan(rows[p]!.depth);
    }
    expect(rows[0]!.folder.path).toBe('INBOX');
  });

  it('archives every message byte-identical, mtime = INTERNALDATE, flags on the server untouched', async () => {
    const { summary } = await run();
    expect(summary.failures).toEqual([]);
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(TOTAL);
    // Per-folder numbers: what the server held, and that all of it was fetched now.
    for (const f of LAYOUT) {
      expect(summary.mailFolders?.find((t) => t.folder === path(f.logical)), f.logical).toMatchObject({ onServer: f.count, archivedBefore: 0, fetched: f.count, vanished: 0 });
    }
    let n = 0;
    for (const f of LAYOUT) n += await expectArchived(f.logical);
    expect(n).toBe(TOTAL);
    expect(await allFlags()).toEqual(flagsBefore);
    // \Recent is session state, not a flag of the message: never stored.
    for (const f of LAYOUT) for (const r of readIndex(folderDir(f.logical))) expect(r.flags).not.toContain('\\Recent');
  });

  it('a re-run fetches nothing and rewrites no index or state file', async () => {
    const stamp = (logical: string) => {
      const dir = folderDir(logical);
      return ['index.jsonl', 'state.json'].filter((n) => existsSync(join(dir, n))).map((n) => `${n}:${statSync(join(dir, n)).mtimeMs}:${statSync(join(dir, n)).ino}`).join(',');
    };
    const before = LAYOUT.map((f) => stamp(f.logical));
    const { summary } = await run();
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(0);
    expect(summary.bytes).toBe(0);
    expect(summary.itemsSkipped).toBe(TOTAL);
    for (const f of LAYOUT) {
      expect(summary.mailFolders?.find((t) => t.folder === path(f.logical)), f.logical).toMatchObject({ onServer: f.count, archivedBefore: f.count, fetched: 0 });
    }
    expect(LAYOUT.map((f) => stamp(f.logical))).toEqual(before);
  });

  it('fetches exactly the mail added between runs', async () => {
    const rand = rng(99);
    const d = new Date(Date.UTC(2023, 2, 3, 4, 5, 6));
    await admin.append('INBOX', makeMessage(90_001, d, 0, rand), ['\\Seen'], d);
    await admin.append('INBOX', makeMessage(90_002, d, 30_000, rand), [], d);
    await admin.append(path('Archive/2019'), makeMessage(90_003, d, 0, rand), ['\\Flagged'], d);
    const { summary } = await run();
    expect(summary.failures).toEqual([]);
    expect(summary.itemsDone).toBe(3);
    await expectArchived('INBOX');
    await expectArchived('Archive/2019');
  });

  it('a recreated folder (new UIDVALIDITY) loses nothing', async () => {
    const logical = 'Rock & Roll Sent';
    const old = await serverMessages(admin, path(logical));
    const oldIndex = readIndex(folderDir(logical));
    await admin.mailboxDelete(path(logical));
    // UIDVALIDITY is often the creation time in seconds: recreate in a later second.
    await new Promise((r) => setTimeout(r, 1100));
    await admin.mailboxCreate(path(logical));
    for (const m of old.messages) await admin.append(path(logical), m.source, m.flags, m.internalDate);
    const d = new Date(Date.UTC(2024, 1, 2));
    await admin.append(path(logical), makeMessage(91_000, d, 0, rng(3)), [], d);
    const now = await serverMessages(admin, path(logical));
    expect(now.uidValidity).not.toBe(old.uidValidity);
    const { summary } = await run();
    expect(summary.failures).toEqual([]);
    // The old messages are linked (same Message-ID, size, date), only the new one is fetched.
    expect(summary.itemsDone).toBe(1);
    await expectArchived(logical);
    for (const r of oldIndex) expect(existsSync(join(folderDir(logical), r.file)), r.file).toBe(true);
  });
});
