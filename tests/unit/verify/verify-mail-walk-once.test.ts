import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** Directories read (readdir), in order: the account's walk is seen as its root read. */
const reads = vi.hoisted(() => [] as string[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = ((dir: string, opts?: unknown) => {
    reads.push(String(dir));
    return (fs.readdir as (d: string, o?: unknown) => Promise<unknown>)(dir, opts);
  }) as typeof fs.readdir;
  return { ...fs, readdir, default: { ...fs, readdir } };
});

const { FolderStore } = await import('../../../electron/engine/mail/folder-store');
const { verifyMailLocal } = await import('../../../electron/engine/verify/verify-mail');

const meta = (uid: number) => ({ uid, uidValidity: '5', internalDate: new Date(Date.UTC(2020, 0, uid)), flags: [], messageId: `<${uid}@x>`, subject: null, from: null });

describe('verifyMailLocal walks the account folder once (HE F3c)', () => {
  let root: string;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'fanout-verify-walk-'));
    for (const path of ['INBOX', 'Archive/2019']) {
      const store = await FolderStore.open(join(root, ...path.split('/')), path);
      for (const uid of [1, 2]) await store.writeMessage(Buffer.from(`Subject: ${path} ${uid}\r\n\r\nbody\r\n`), meta(uid));
      await store.saveState();
      await store.close();
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('folders.json gone: the folders read back from their state.json and the unnamed archives found in one walk', async () => {
    try {
      unlinkSync(join(root, 'folders.json'));
    } catch {
      // FolderStore alone writes none: gone already.
    }
    reads.length = 0;
    const r = await verifyMailLocal(root);
    expect(r.ok).toBe(true);
    expect(r.checked.files).toBe(4);
    expect(r.notes).toBeUndefined(); // every folder named by its state.json
    expect(reads.filter((d) => d === root)).toHaveLength(1);
    expect(reads.filter((d) => d === join(root, 'Archive'))).toHaveLength(1);
  });
});

describe('verifyMailLocal, folders.json gone and a state.json damaged', () => {
  let root: string;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'fanout-verify-walk-'));
    for (const path of ['INBOX', 'Sent']) {
      const store = await FolderStore.open(join(root, path), path);
      for (const uid of [1, 2]) await store.writeMessage(Buffer.from(`Subject: ${path} ${uid}\r\n\r\nbody\r\n`), meta(uid));
      await store.saveState();
      await store.close();
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('its directory is checked as an archive no record names, the others as their state.json say (before: a bare SyntaxError)', async () => {
    writeFileSync(join(root, 'Sent', 'state.json'), '{ torn');
    const r = await verifyMailLocal(root);
    expect(r.ok).toBe(true);
    expect(r.checked.files).toBe(4);
    expect(r.notes?.map((n) => n.where)).toEqual(['Sent/ (folder not recorded)']);
  });
});
