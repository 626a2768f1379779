import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BookSink } from '../../../electron/engine/mirror/book-sink';
import { RawParts } from '../../../electron/engine/mirror/raw-parts';
import type { WorkerProgress } from '../../../electron/engine/core/worker-context';

const progress: WorkerProgress = { setState() {}, setItemTotal() {}, addBytes() {}, resetItemBytes() {}, countRetry() {} };
let root: string;
let rawDir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'fanout-raw-parts-'));
  rawDir = join(root, 'raw');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const open = (rawParts: RawParts, ebook: number) =>
  BookSink.open({ rawDir, rawParts, remoteName: `${ebook}-0.txt`, textName: `${ebook}-0.txt`, fromZip: false, progress, context: { ebook } });
const write = (sink: BookSink, bytes: string) => new Promise<void>((resolve, reject) => sink.input.write(Buffer.from(bytes), (err) => (err ? reject(err) : resolve())));
async function land(sink: BookSink, rest: string): Promise<void> {
  sink.input.end(Buffer.from(rest));
  await once(sink.input, 'finish');
  await sink.finish();
}

// One mkdir and one listing of raw/ per job instead of a mkdir and a stat per book: a `.part` that
// may exist must still be found, so that a book resumes where an attempt left it.
describe('BookSink with the job\'s RawParts', () => {
  it('creates raw/ once and resumes a .part left by an earlier run', async () => {
    await mkdir(rawDir);
    await writeFile(join(rawDir, '11-0.txt.part'), 'kept|');
    const parts = new RawParts(rawDir);
    const sink = await open(parts, 11);
    expect(sink.startAt).toBe(5);
    sink.begin();
    await land(sink, 'rest');
    expect(await readFile(join(rawDir, '11-0.txt'), 'utf8')).toBe('kept|rest');
    expect(await parts.mayExist('11-0.txt.part')).toBe(false); // landed: forgotten
  });

  it('creates a missing raw/; a book with no .part starts at 0', async () => {
    const parts = new RawParts(rawDir);
    const sink = await open(parts, 12);
    expect(sink.startAt).toBe(0);
    sink.begin();
    await land(sink, 'whole');
    expect(await readdir(rawDir)).toEqual(['12-0.txt']);
  });

  it('an attempt that failed in this job is resumed by the next attempt of the same job', async () => {
    const parts = new RawParts(rawDir);
    const first = await open(parts, 13);
    first.begin();
    await write(first, 'first half|');
    await first.close(); // the transfer broke: the .part stays
    const again = await open(parts, 13);
    expect(again.startAt).toBe('first half|'.length);
    again.begin();
    await land(again, 'second half');
    expect(await readFile(join(rawDir, '13-0.txt'), 'utf8')).toBe('first half|second half');
  });

  it('a raw/ that cannot be created fails the book as WRITE_FAILED', async () => {
    await writeFile(rawDir, 'a file where the folder should be');
    await expect(open(new RawParts(rawDir), 14)).rejects.toMatchObject({ code: 'WRITE_FAILED' });
  });
});
