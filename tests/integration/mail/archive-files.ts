import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { expect } from 'vitest';
import type { IndexRecord } from '../../../electron/engine/mail/index-file';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';

/** A folder's `index.jsonl` as records (none yet: empty). */
export function readIndex(dir: string): IndexRecord[] {
  const p = join(dir, 'index.jsonl');
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as IndexRecord);
}

/** Where the server folder `path` is archived under the account folder `root` (its `folders.json`). */
export function archivedFolderDir(root: string, path: string): string {
  const dirs = (JSON.parse(readFileSync(join(root, 'folders.json'), 'utf8')) as { dirs: Record<string, string> }).dirs;
  const dir = dirs[path];
  if (dir === undefined) throw new Error(`no directory for ${path} in folders.json`);
  return join(root, ...dir.split('/'));
}

/**
 * Every message the server holds in `path` is archived in `dir` byte for byte, in the folder's current
 * UIDVALIDITY generation, and nothing more; returns how many.
 */
export async function expectArchived(admin: ImapFlow, path: string, dir: string): Promise<number> {
  const mb = await admin.mailboxOpen(path, { readOnly: true });
  const index = new Map(readIndex(dir).filter((r) => r.uidValidity === String(mb.uidValidity)).map((r) => [r.uid, r]));
  let n = 0;
  for await (const m of admin.fetch('1:*', { uid: true, source: true }, { uid: true })) {
    const rec = index.get(m.uid);
    expect(rec, `${path} UID ${m.uid} in the index`).toBeDefined();
    expect(readFileSync(join(dir, rec!.file)).equals(m.source!), `${path} UID ${m.uid} bytes`).toBe(true);
    n++;
  }
  await admin.mailboxClose();
  expect(index.size).toBe(n);
  return n;
}

/**
 * Each folder (`logical` as the harness names it) archived in full under the account folder `root`,
 * byte for byte, and each UID once in its index (a retried or given-back chunk wrote nothing twice).
 */
export async function expectFoldersArchivedOnce(srv: ImapTestServer, root: string, folders: readonly { logical: string; count: number }[]): Promise<void> {
  const admin = await srv.connect();
  try {
    for (const f of folders) {
      const path = serverPath(srv, f.logical);
      const dir = archivedFolderDir(root, path);
      expect(await expectArchived(admin, path, dir)).toBe(f.count);
      const uids = readIndex(dir).map((r) => r.uid);
      expect(new Set(uids).size).toBe(uids.length);
    }
  } finally {
    await admin.logout();
  }
}

/** A small test message `i` of a set named `tag` (its Message-ID `<tag-i@x>`), CRLF. */
const testMessage = (tag: string, i: number) => `From: a@x\r\nMessage-ID: <${tag}-${i}@x>\r\nSubject: ${tag} ${i}\r\n\r\nbody ${i}\r\n`;
/** The INTERNALDATE the folders below are filled with. */
const FILLED_AT = new Date(Date.UTC(2022, 5, 6));

/** Creates `path` on the server holding messages `ids` of the set `tag` (testMessage). */
export async function fillFolder(admin: ImapFlow, path: string, tag: string, ids: readonly number[]): Promise<void> {
  await admin.mailboxCreate(path);
  for (const i of ids) await admin.append(path, testMessage(tag, i), [], FILLED_AT);
}

/**
 * Deletes `path` and creates it again, so that it has a new UIDVALIDITY (Cyrus and Dovecot take it
 * from the time in seconds: a second goes by first), holding messages `ids` of the set `tag`.
 */
export async function recreateFolder(admin: ImapFlow, path: string, tag: string, ids: readonly number[]): Promise<void> {
  await admin.mailboxDelete(path);
  await new Promise((r) => setTimeout(r, 1100));
  await fillFolder(admin, path, tag, ids);
}

/**
 * Each message the server holds in `path` is archived in `dir` with the server's flags (but
 * \\Recent) and INTERNALDATE in its index line, that date as its file's mtime, and its file at the
 * line's size.
 */
export async function expectFlagsAndDates(admin: ImapFlow, path: string, dir: string): Promise<void> {
  const index = new Map(readIndex(dir).map((r) => [r.uid, r]));
  await admin.mailboxOpen(path, { readOnly: true });
  try {
    for await (const m of admin.fetch('1:*', { uid: true, flags: true, internalDate: true }, { uid: true })) {
      const rec = index.get(m.uid)!;
      expect([...rec.flags].sort(), `UID ${m.uid} flags`).toEqual([...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort());
      expect(new Date(rec.internalDate).getTime(), `UID ${m.uid} INTERNALDATE`).toBe(new Date(m.internalDate!).getTime());
      expect(Math.round(statSync(join(dir, rec.file)).mtimeMs / 1000), `UID ${m.uid} mtime`).toBe(Math.round(new Date(m.internalDate!).getTime() / 1000));
      expect(readFileSync(join(dir, rec.file)).length).toBe(rec.size);
    }
  } finally {
    await admin.mailboxClose();
  }
}
