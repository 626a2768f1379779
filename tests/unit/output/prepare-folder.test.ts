import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordFsyncs } from '../../harness/fsync-recorder';
import { prepareOutputFolder } from '../../../electron/engine/output/prepare-folder';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'fanout-prepare-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('prepareOutputFolder: the folders it created go again at the release when left empty', () => {
  it('a job that wrote nothing leaves nothing: the folder, its missing parents and its subfolders', async () => {
    const out = join(base, 'a', 'b', 'corpus');
    const lock = await prepareOutputFolder(out, 'gutenberg', ['raw', 'clean']);
    expect(readdirSync(out).sort()).toEqual(['.fanout.lock', 'clean', 'raw']);
    await lock.release();
    expect(readdirSync(base)).toEqual([]);
  });

  it('keeps every folder that holds a file, and the folders above it', async () => {
    const out = join(base, 'new', 'corpus');
    const lock = await prepareOutputFolder(out, 'gutenberg', ['raw', 'clean']);
    writeFileSync(join(out, 'raw', '5.txt'), 'x');
    await lock.release();
    expect(readdirSync(out)).toEqual(['raw']);
    expect(readdirSync(join(out, 'raw'))).toEqual(['5.txt']);
  });

  it('never removes a folder that was there before, even empty', async () => {
    const out = join(base, 'mine');
    mkdirSync(join(out, 'raw'), { recursive: true });
    const lock = await prepareOutputFolder(out, 'gutenberg', ['raw', 'clean']);
    await lock.release();
    expect(readdirSync(out)).toEqual(['raw']);
    expect(existsSync(base)).toBe(true);
  });

  it('a refusal (the folder is locked) removes nothing of the holder\'s', async () => {
    const out = join(base, 'held');
    const first = await prepareOutputFolder(out, 'mail');
    await expect(prepareOutputFolder(out, 'mail')).rejects.toMatchObject({ code: 'OUTPUT_LOCKED' });
    expect(readdirSync(out)).toEqual(['.fanout.lock']);
    await first.release();
    expect(existsSync(out)).toBe(false);
  });
});

describe('prepareOutputFolder with keep (the labs: their files are written after the release)', () => {
  it('leaves the folder it created, empty', async () => {
    const out = join(base, 'lab');
    const lock = await prepareOutputFolder(out, 'lab', [], { keep: true });
    await lock.release();
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('prepareOutputFolder proves each folder writable with one fsync', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('the output folder by its lock file (written and fsynced there), each subfolder by a probe file; nothing more', async () => {
    // A run of `fanout mail` with nothing new writes nothing else: these fsyncs are its only waits on the disk.
    const out = join(base, 'corpus');
    const events = await recordFsyncs(base, () => join(out, 'nothing'));
    const lock = await prepareOutputFolder(out, 'gutenberg', ['raw', 'clean']);
    await lock.release();
    const where = events.map((e) => relative(base, e.path).replace(/fanout-probe\.[^/]*$/, 'fanout-probe'));
    expect(where).toEqual(['corpus/.fanout.lock', 'corpus/raw/..fanout-probe', 'corpus/clean/..fanout-probe']);
    expect(events[0]!.size).toBeGreaterThan(0);
  });
});

describe('prepareOutputFolder: a file where a folder should be', () => {
  it.each([
    ['a subfolder (raw/ a file)', 'out', ['raw'], (b: string) => join(b, 'out', 'raw')],
    ['a folder above the output folder', join('parent', 'out'), [], (b: string) => join(b, 'parent')],
  ])('%s: says which file is in the way and what to do, removes nothing', async (_what, outRel, subdirs, inTheWay) => {
    mkdirSync(join(base, 'out'));
    writeFileSync(inTheWay(base), 'mine\n');
    const err = await prepareOutputFolder(join(base, outRel), 'gutenberg', subdirs).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toBe('WRITE_FAILED');
    expect(err?.message).toBe(`${inTheWay(base)} is a file, not a folder, where the job needs the folder ${join(base, outRel, ...subdirs)}: move it out of the way (fanout does not delete it), then run again`);
    expect(readdirSync(base).sort()).toEqual(outRel === 'out' ? ['out'] : ['out', 'parent']);
  });
});
