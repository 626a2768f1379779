import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BookSink, EAGER_META_BYTES } from '../../../electron/engine/mirror/book-sink';
import type { WorkerProgress } from '../../../electron/engine/core/worker-context';

const progress: WorkerProgress = { setState() {}, setItemTotal() {}, addBytes() {}, resetItemBytes() {}, countRetry() {} };
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-sink-meta-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = () => BookSink.open({ rawDir: dir, remoteName: '418-0.txt', textName: '418-0.txt', fromZip: false, progress, context: { ebook: 418 } });
const write = (sink: BookSink, bytes: Buffer) => new Promise<void>((resolve, reject) => sink.input.write(bytes, (err) => (err ? reject(err) : resolve())));

/** Waits (bounded) until `path` exists. */
async function appears(path: string): Promise<boolean> {
  for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
  return existsSync(path);
}

describe('BookSink: the .part.meta of a small file is written only when the attempt fails', () => {
  it('a small file lands with no meta ever on disk; a failed attempt leaves its meta for the resume', async () => {
    const bytes = Buffer.from('x'.repeat(1000));
    const meta = { size: 2 * bytes.length, etag: '"abc"' };

    const ok = await open();
    ok.begin(meta);
    await write(ok, bytes);
    expect(await readdir(dir)).toEqual(['418-0.txt.part']); // mid-transfer: no meta
    ok.input.end(bytes);
    await new Promise((r) => ok.input.once('finish', r));
    await ok.finish();
    expect(await readdir(dir)).toEqual(['418-0.txt']);

    await rm(join(dir, '418-0.txt'));
    const cut = await open();
    cut.begin(meta);
    await write(cut, bytes);
    expect(await readdir(dir)).toEqual(['418-0.txt.part']);
    await cut.close(); // the attempt failed
    expect((await readdir(dir)).sort()).toEqual(['418-0.txt.part', '418-0.txt.part.meta']);
    expect(JSON.parse(await readFile(join(dir, '418-0.txt.part.meta'), 'utf8'))).toEqual(meta);
    // The next attempt sees what it needs to resume onto the same file.
    const next = await open();
    expect(next.startAt).toBe(bytes.length);
    expect(next.kept).toEqual(meta);
    await next.close();
    // It completes the text: the meta goes with the part, and the mtime said is the file's.
    const rest = await open();
    rest.begin();
    rest.input.end(bytes);
    await new Promise((r) => rest.input.once('finish', r));
    const done = await rest.finish();
    expect(await readdir(dir)).toEqual(['418-0.txt']);
    expect(done.mtimeMs).toBe((await stat(join(dir, '418-0.txt'))).mtimeMs);
  });

  it('an earlier attempt\'s meta beside an empty part is removed when the book lands', async () => {
    await writeFile(join(dir, '418-0.txt.part'), '');
    await writeFile(join(dir, '418-0.txt.part.meta'), JSON.stringify({ size: 10, etag: '"old"' }));
    const sink = await open();
    expect(sink.startAt).toBe(0);
    sink.begin({ size: 4, etag: '"new"' });
    sink.input.end(Buffer.from('text'));
    await new Promise((r) => sink.input.once('finish', r));
    await sink.finish();
    expect(await readdir(dir)).toEqual(['418-0.txt']);
  });

  it.each([
    ['a large file', EAGER_META_BYTES],
    ['a file of unknown size', null],
  ])('%s gets its meta when the transfer starts (a killed run can resume it)', async (_label, size) => {
    const sink = await open();
    sink.begin({ size, etag: '"big"' });
    await write(sink, Buffer.from('y'.repeat(1000)));
    expect(await appears(join(dir, '418-0.txt.part.meta'))).toBe(true);
    sink.input.end();
    await new Promise((r) => sink.input.once('finish', r));
    await sink.finish();
    expect(await readdir(dir)).toEqual(['418-0.txt']);
  });
});
