import { describe, expect, it } from 'vitest';
import { tempDirEach } from './store-bed';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import type { FolderJob } from '../../../electron/engine/mail/plan-folder';
import { reconcileFolder } from '../../../electron/engine/mail/reconcile';
import type { MailFolderInfo } from '../../../electron/engine/mail/folders';

const meta = (uid: number) => ({ uid, uidValidity: '9', internalDate: new Date(0), flags: [], messageId: null, subject: null, from: null });

describe('reconcileFolder', () => {
  let dir = '';
  tempDirEach('fanout-reconcile-', (d) => (dir = d));

  const jobFor = (store: FolderStore, serverUids: number[], tally: Partial<FolderJob['tally']>): FolderJob => ({
    info: { path: 'INBOX' } as MailFolderInfo,
    store,
    uidValidity: '9',
    pendingChunks: 0,
    failed: false,
    synced: { uidValidity: '9', uidNext: 10, highestModseq: null, messages: serverUids.length },
    tally: { folder: 'INBOX', onServer: serverUids.length, archivedBefore: 0, toFetch: 0, fetched: 0, vanished: 0, ...tally },
    serverUids,
    sizes: new Map(),
    vanished: new Set(),
  });

  it('passes when every server UID is archived or vanished and the counts add up', async () => {
    const store = await FolderStore.open(dir, 'INBOX');
    for (const uid of [1, 2, 3]) await store.writeMessage(Buffer.from(`m${uid}`), meta(uid));
    const job = jobFor(store, [1, 2, 3, 4], { archivedBefore: 1, fetched: 2, vanished: 1 });
    job.vanished.add(4);
    expect(reconcileFolder(job)).toBeNull();
  });

  // The Courier case: planning counted every message as archived, none was written, the job said SUCCEEDED.
  it('fails a folder whose messages are counted as archived but are not in the index, with the numbers', async () => {
    const store = await FolderStore.open(dir, 'INBOX');
    const uids = Array.from({ length: 268 }, (_, i) => i + 1);
    const err = reconcileFolder(jobFor(store, uids, { archivedBefore: 268 }));
    expect(err?.code).toBe('FOLDER_INCOMPLETE');
    expect(err?.context.folder).toBe('INBOX');
    expect(err?.message).toMatch(/holds 268.*268 not in the archive \(UID 1:268\)/);
  });

  it('fails when the counts do not add up even if the index is complete', async () => {
    const store = await FolderStore.open(dir, 'INBOX');
    await store.writeMessage(Buffer.from('m1'), meta(1));
    const err = reconcileFolder(jobFor(store, [1], { archivedBefore: 1, fetched: 1 }));
    expect(err?.code).toBe('FOLDER_INCOMPLETE');
  });
});
