import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { readFolderDirs } from '../../../electron/engine/mail/account-folders';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import { readFolderState } from '../../../electron/engine/mail/generations';

/**
 * A file of the archive with a directory in its place: a typed error naming it and what to do, at
 * once. Before: index.jsonl failed the folder with Node's bare 'EISDIR: illegal operation on a
 * directory, read' (no path); state.json and folders.json were read as absent and the run failed
 * only at their write, after fetching, with a rename's EISDIR.
 */
describe('archive files replaced by directories', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fanout-layout-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const expectLayout = async (p: Promise<unknown>, file: string) => {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(FanoutError);
    expect((err as FanoutError).code).toBe('WRITE_FAILED');
    expect((err as FanoutError).message).toContain(`${file} is a directory, not a file: move it out of the way`);
  };

  it('index.jsonl', async () => {
    mkdirSync(join(dir, 'index.jsonl'));
    await expectLayout(FolderStore.open(dir, 'INBOX'), join(dir, 'index.jsonl'));
  });

  it('state.json', async () => {
    mkdirSync(join(dir, 'state.json'));
    await expectLayout(readFolderState(join(dir, 'state.json'), 'INBOX'), join(dir, 'state.json'));
    await expectLayout(FolderStore.open(dir, 'INBOX', { deferIndex: true }), join(dir, 'state.json'));
  });

  it('folders.json', async () => {
    mkdirSync(join(dir, 'folders.json'));
    await expectLayout(readFolderDirs(dir), join(dir, 'folders.json'));
  });
});
