import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_FOLDER_DEPTH, walkFolderDirs } from '../../../electron/engine/mail/folder-dir-walk';
import { isGenerationDirName } from '../../../electron/engine/mail/generations';
import { recoverFolderDirs } from '../../../electron/engine/mail/recover-folder-dirs';

describe('walkFolderDirs (the one walk of an account folder: recoverFolderDirs, verify)', () => {
  let root: string;
  const put = (rel: string, content = 'x') => {
    const abs = join(root, ...rel.split('/'));
    mkdirSync(join(abs, '..'), { recursive: true });
    writeFileSync(abs, content);
  };
  const state = (dir: string, path: string) => put(`${dir}/state.json`, JSON.stringify({ version: 1, path, generations: [], synced: null }));
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fanout-walk-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reports each directory holding a state.json or an archive once, depth first in name order', async () => {
    state('a', 'a');
    put('a/index.jsonl', '');
    put('a/b/7.eml');
    state('a b', 'a b');
    put('c/index.jsonl/1.eml'); // an index.jsonl that is a directory is an archive (verify reports it)
    mkdirSync(join(root, 'c', 'state.json', 'x'), { recursive: true }); // a state.json that is a directory is none
    put('d/notes.txt'); // neither: left out
    put('e/1.eml.tmp'); // not a <uid>.eml
    expect(await walkFolderDirs(root)).toEqual([
      { rel: 'a', state: true, archive: true },
      { rel: 'a/b', state: false, archive: true },
      { rel: 'a b', state: true, archive: false },
      { rel: 'c', state: false, archive: true },
      { rel: 'c/index.jsonl', state: false, archive: true },
    ]);
  });

  it('skips generation directories (also one named so at the top), dot directories, and never the account folder itself', async () => {
    put('1.eml');
    put('index.jsonl', '');
    put('INBOX/1.eml');
    put('INBOX/uidvalidity-9/1.eml');
    state('INBOX/uidvalidity-9/Sub', 'INBOX/Sub'); // inside a generation: not looked into
    put('uidvalidity-7/1.eml');
    state('uidvalidity-7', 'Top');
    put('.trash/INBOX/1.eml');
    put('uidvalidity-x/1.eml'); // not a generation's name: a folder's directory
    put('UIDVALIDITY/1.eml');
    expect((await walkFolderDirs(root)).map((d) => d.rel)).toEqual(['INBOX', 'UIDVALIDITY', 'uidvalidity-x']);
    expect(isGenerationDirName('uidvalidity-123')).toBe(true);
    for (const name of ['uidvalidity-', 'uidvalidity-1a', 'Uidvalidity-1', 'x-uidvalidity-1']) expect(isGenerationDirName(name)).toBe(false);
  });

  it(`looks ${MAX_FOLDER_DEPTH} levels deep and no deeper`, async () => {
    const chain = (n: number) => Array.from({ length: n }, (_, i) => `d${i}`).join('/');
    put(`${chain(MAX_FOLDER_DEPTH)}/1.eml`);
    put(`${chain(MAX_FOLDER_DEPTH + 1)}/1.eml`);
    expect((await walkFolderDirs(root)).map((d) => d.rel)).toEqual([chain(MAX_FOLDER_DEPTH)]);
  });

  it('follows no symlink: a loop back to the account folder ends, a linked folder is not taken as one', async () => {
    put('INBOX/1.eml');
    symlinkSync(root, join(root, 'INBOX', 'loop'));
    symlinkSync(join(root, 'INBOX'), join(root, 'Linked'));
    expect((await walkFolderDirs(root)).map((d) => d.rel)).toEqual(['INBOX']);
  });

  it('an account folder that does not exist: nothing', async () => {
    expect(await walkFolderDirs(join(root, 'gone'))).toEqual([]);
  });

  it('recoverFolderDirs over a walk already made reads the same mapping; a path two directories claim keeps the first in name order', async () => {
    state('Mail', 'Mail');
    state('Mail (2)', 'mail');
    state('Z', 'Mail');
    state('Mail/Sub', 'Mail/Sub');
    put('Other/1.eml');
    put('Bad/state.json', '{'); // damaged: names no folder (before: the whole recovery failed, SyntaxError)
    put('Null/state.json', 'null');
    put('Num/state.json', '5');
    put('NoPath/state.json', '{"version":1}');
    const expected = { Mail: 'Mail', 'Mail/Sub': 'Mail/Sub', mail: 'Mail (2)' };
    expect(await recoverFolderDirs(root)).toEqual(expected);
    expect(await recoverFolderDirs(root, await walkFolderDirs(root))).toEqual(expected);
  });
});
