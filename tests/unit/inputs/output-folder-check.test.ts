import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputFolder } from '../../../electron/engine/inputs/file-checks';

describe.skipIf(process.platform !== 'linux' || !existsSync('/proc/self'))('checkOutputFolder: folders on a virtual file system', () => {
  it.each([
    ['/proc/fanout-x', '/proc', 'proc'],
    ['/proc/fanout-x/corpus', '/proc', 'proc'],
    ['/sys/fanout-x', '/sys', 'sysfs'],
  ])('%s is refused, naming the file system', async (path, where, fs) => {
    expect(await checkOutputFolder(path)).toBe(`cannot be created: ${where} is on the kernel's ${fs} file system, which holds no files; choose another folder`);
  });

  it('/proc itself: the same, as a folder that exists', async () => {
    expect(await checkOutputFolder('/proc')).toBe("is on the kernel's proc file system, which holds no files; choose another folder");
  });

  it('an ordinary folder is accepted', async () => {
    expect(await checkOutputFolder('/tmp/fanout-output-check-x')).toBeNull();
  });
});

describe('checkOutputFolder: a folder inside a corpus\'s raw/ or clean/', () => {
  let corpus = '';
  beforeAll(async () => {
    corpus = await mkdtemp(join(tmpdir(), 'fanout-nested-'));
    await mkdir(join(corpus, 'raw'));
    await mkdir(join(corpus, 'clean'));
    await writeFile(join(corpus, 'manifest.jsonl'), '');
  });
  afterAll(async () => {
    await rm(corpus, { recursive: true, force: true });
  });

  it.each([['raw'], ['clean'], ['raw/new'], ['clean/a/b']])('%s is refused: its files would show as extra to `fanout verify corpus`', async (sub) => {
    const where = sub.split('/')[0];
    expect(await checkOutputFolder(join(corpus, sub))).toBe(`is inside the ${where}/ folder of the corpus ${corpus}, whose files its manifest records (fanout verify would report the new files as extra); choose a folder outside it`);
  });

  it('the corpus itself (a re-run) and a folder beside raw/ and clean/ are accepted', async () => {
    expect(await checkOutputFolder(corpus)).toBeNull();
    expect(await checkOutputFolder(join(corpus, 'lab'))).toBeNull();
  });

  it('a raw/ folder with no manifest beside it is nobody\'s corpus: accepted', async () => {
    const plain = await mkdtemp(join(tmpdir(), 'fanout-plain-'));
    try {
      await mkdir(join(plain, 'raw'));
      expect(await checkOutputFolder(join(plain, 'raw', 'x'))).toBeNull();
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });
});

describe('checkOutputFolder: the root folder', () => {
  it('is refused: a job would put raw/, clean/ and manifest.jsonl (or an archive) straight into /', async () => {
    expect(await checkOutputFolder('/')).toBe('is the root folder of the file system; give a folder of its own, e.g. /srv/corpus');
    expect(await checkOutputFolder('/tmp/..')).toBe('is the root folder of the file system; give a folder of its own, e.g. /srv/corpus');
  });
});
