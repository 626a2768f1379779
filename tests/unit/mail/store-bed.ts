import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { readIndexFile, type IndexRecord } from '../../../electron/engine/mail/index-file';
import type { MessageMeta } from '../../../electron/engine/mail/message-meta';

/**
 * The test bed the FolderStore unit tests share: a message's meta as they write it, the index's
 * lines as read back, a fresh temp folder per test.
 */

/** UID `uid` of generation `uidValidity`: INTERNALDATE 2020-02-03, \Seen, Message-ID `<m{uid}@x>`, subject `s{uid}`, from a@x. */
export const storeMeta = (uid: number, uidValidity = '7'): MessageMeta => ({
  uid,
  uidValidity,
  internalDate: new Date(Date.UTC(2020, 1, 3)),
  flags: ['\\Seen'],
  messageId: `<m${uid}@x>`,
  subject: `s${uid}`,
  from: 'a@x',
});

/** The records of `<dir>/index.jsonl`, in order (read as the store reads them). */
export async function indexLines(dir: string): Promise<IndexRecord[]> {
  const out: IndexRecord[] = [];
  for await (const r of readIndexFile(join(dir, 'index.jsonl'))) out.push(r);
  return out;
}

/** A new temp folder named `prefix…` before each test of the enclosing describe (given to `set`), removed after it. */
export function tempDirEach(prefix: string, set: (dir: string) => void): void {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    set(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
}
