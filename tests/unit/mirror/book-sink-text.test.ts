import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BookSink } from '../../../electron/engine/mirror/book-sink';
import { takeFetchedText, toFetchedBook } from '../../../electron/engine/mirror/fetched-book';
import type { WorkerProgress } from '../../../electron/engine/core/worker-context';
import { buildZip } from '../../harness';

const progress: WorkerProgress = { setState() {}, setItemTotal() {}, addBytes() {}, resetItemBytes() {}, countRetry() {} };
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-sink-text-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const text = Buffer.from('The text of book 418, caf\u00e9.\n'.repeat(3000));

async function receive(fromZip: boolean, remoteName: string, chunks: Buffer[]) {
  const sink = await BookSink.open({ rawDir: dir, remoteName, textName: '418-0.txt', fromZip, progress, context: { ebook: 418 } });
  sink.begin();
  for (const c of chunks) sink.input.write(c);
  sink.input.end();
  await once(sink.input, 'finish');
  return sink.finish();
}

describe('BookSink hands the text over in memory: the very bytes written', () => {
  it.each([
    ['a text in several chunks', false, '418-0.txt', [text.subarray(0, 1000), text.subarray(1000, 50_000), text.subarray(50_000)]],
    ['a zip', true, '418-8.zip', [buildZip([{ name: '418-0.txt', data: text }])]],
  ])('%s', async (_label, fromZip, remoteName, chunks) => {
    const r = await receive(fromZip, remoteName, chunks);
    expect(r.text).toEqual(await readFile(r.rawPath));
    expect(r.text).toEqual(text);
    const book = toFetchedBook(418, 'http://x/418-0.txt', { remoteName, textName: '418-0.txt', fromZip, relPath: remoteName, encodingHint: 'utf-8' } as never, r, text.length, 0);
    expect(takeFetchedText(book)).toEqual(text);
    expect(takeFetchedText(book)).toBeNull(); // once
  });

  it('keeps no text for a resumed part (its start is only on disk)', async () => {
    await writeFile(join(dir, '418-0.txt.part'), text.subarray(0, 1000));
    const sink = await BookSink.open({ rawDir: dir, remoteName: '418-0.txt', textName: '418-0.txt', fromZip: false, progress, context: { ebook: 418 } });
    expect(sink.startAt).toBe(1000);
    sink.begin();
    sink.input.end(text.subarray(1000));
    await once(sink.input, 'finish');
    const r = await sink.finish();
    expect(r.text).toBeUndefined();
    expect(await readFile(r.rawPath)).toEqual(text);
  });
});
