import { mkdir, mkdtemp, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bookChange, recordedMtime } from '../../../electron/engine/gutenberg/book-completion';
import type { RecordedBook } from '../../../electron/engine/gutenberg/manifest-store';
import { sha256 } from '../../harness';

let out: string;
const RAW = Buffer.from('raw text of the book\n'.repeat(50));
const CLEAN = Buffer.from('clean text\n'.repeat(40));

/** A book written and recorded as the job records it (sizes, mtimes; the sha256s when `withSha`). */
async function recorded(withSha: boolean): Promise<RecordedBook> {
  await writeFile(join(out, 'raw/7-0.txt'), RAW);
  await writeFile(join(out, 'clean/7.txt'), CLEAN);
  const [r, c] = await Promise.all([stat(join(out, 'raw/7-0.txt')), stat(join(out, 'clean/7.txt'))]);
  return {
    ebook: 7, rawFile: 'raw/7-0.txt', cleanFile: 'clean/7.txt', rawBytes: RAW.length, cleanBytes: CLEAN.length,
    rawMtimeMs: recordedMtime(r.mtimeMs), cleanMtimeMs: recordedMtime(c.mtimeMs),
    rawSha256: withSha ? sha256(RAW) : null, cleanSha256: withSha ? sha256(CLEAN) : null,
  };
}

/** What `cp -r` does to a file: same bytes, a new mtime. */
async function retime(rel: string): Promise<void> {
  await utimes(join(out, rel), new Date(), new Date(Date.now() + 60_000));
}

beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'fanout-bookchange-'));
  await mkdir(join(out, 'raw'));
  await mkdir(join(out, 'clean'));
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('bookChange: what a re-run finds changed in a book recorded done', () => {
  it('names the first difference: a file missing, another size, another mtime', async () => {
    const book = await recorded(false);
    expect(await bookChange(out, book)).toBeNull();
    await retime('clean/7.txt');
    expect(await bookChange(out, book)).toMatch(/^clean\/7\.txt modified .*, recorded /);
    await writeFile(join(out, 'raw/7-0.txt'), 'short');
    expect(await bookChange(out, book)).toBe(`raw/7-0.txt 5 bytes, recorded ${RAW.length}`);
    await unlink(join(out, 'raw/7-0.txt'));
    expect(await bookChange(out, book)).toBe('raw/7-0.txt missing');
  });

  it('only the mtimes changed and the sha256s are known (a copy without mtimes): hashed, the same bytes are kept and their recorded mtimes put back', async () => {
    const book = await recorded(true);
    await retime('raw/7-0.txt');
    await retime('clean/7.txt');
    expect(await bookChange(out, book)).toBeNull();
    expect(recordedMtime((await stat(join(out, 'raw/7-0.txt'))).mtimeMs)).toBe(book.rawMtimeMs);
    expect(recordedMtime((await stat(join(out, 'clean/7.txt'))).mtimeMs)).toBe(book.cleanMtimeMs);
  });

  it('other bytes of the same size under a new mtime: changed, and the files are left as they are', async () => {
    const book = await recorded(true);
    await writeFile(join(out, 'clean/7.txt'), Buffer.alloc(CLEAN.length, 0x78));
    await retime('clean/7.txt');
    const before = (await stat(join(out, 'clean/7.txt'))).mtimeMs;
    expect(await bookChange(out, book)).toBe('clean/7.txt changed (other bytes than recorded)');
    expect((await stat(join(out, 'clean/7.txt'))).mtimeMs).toBe(before);
  });
});
