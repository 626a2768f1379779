import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IndexLog, type IndexRecord } from '../../../electron/engine/mail/index-file';

/** Every open() of node:fs/promises, with its path and whether its handle was closed. */
const opened: Array<{ path: string; closed: boolean }> = [];

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
    const fh = await real.open(...args);
    const entry = { path: String(args[0]), closed: false };
    opened.push(entry);
    const close = fh.close.bind(fh);
    fh.close = () => {
      entry.closed = true;
      return close();
    };
    return fh;
  };
  return { ...real, open, default: { ...real, open } };
});

const rec = (uid: number): IndexRecord => ({ uid, uidValidity: '7', size: 10, sha256: 'x'.repeat(64), flags: [], internalDate: '2020-01-01T00:00:00.000Z', messageId: null, subject: null, from: null, file: `${uid}.eml` }) as unknown as IndexRecord;

describe('index groups fsync their folder through a kept handle', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
    opened.length = 0;
  });

  it('opens the folder once for many groups (was once per group), closes it when released and at close; every line written', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fanout-ifh-'));
    const log = new IndexLog(join(dir, 'index.jsonl'), 'INBOX');
    // Each append awaited alone: 20 groups, each fsyncing the folder before its line.
    for (let uid = 1; uid <= 20; uid++) await log.append(rec(uid), dir);
    const folderOpens = () => opened.filter((o) => o.path === dir);
    expect(folderOpens()).toHaveLength(1);
    expect(folderOpens()[0]!.closed).toBe(false);
    await log.releaseFolders();
    expect(folderOpens()[0]!.closed).toBe(true);
    // Reopened on demand after a release.
    await log.append(rec(21), dir);
    expect(folderOpens()).toHaveLength(2);
    await log.close();
    expect(opened.every((o) => o.closed)).toBe(true);
    const lines = readFileSync(join(dir, 'index.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { uid: number }).uid)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('a folder that cannot be opened fails the group (not silently durable), and the next group tries again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fanout-ifh-'));
    const log = new IndexLog(join(dir, 'index.jsonl'), 'INBOX');
    const missing = join(dir, 'gone');
    await expect(log.append(rec(1), missing)).rejects.toThrow(/index of INBOX/);
    await expect(log.append(rec(2), missing)).rejects.toThrow(/index of INBOX/);
    expect(opened.filter((o) => o.path === missing)).toHaveLength(0);
    await log.append(rec(3), dir);
    await log.close();
    expect(readFileSync(join(dir, 'index.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
