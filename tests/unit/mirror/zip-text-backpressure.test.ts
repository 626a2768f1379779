import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ZipText, loadZipText } from '../../../electron/engine/mirror/zip-text';
import { bookText, buildZip } from '../../harness';

/**
 * A zip with bytes after its end record, fed faster than the unzipper takes it (a slow disk under
 * the text, a fast link): the writes queue up inside unzipper, and once it reads the end record it
 * never takes the queued tail, so 'drain' never comes. A feed waiting for 'drain' then waited
 * forever and the book's fetch with it (CI: zip-trailing over HTTP timed out under load). Every
 * feed's callback must come once the parse is over.
 */
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-zip-bp-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('every feed is answered when the end record comes with writes still queued behind it', async () => {
  await loadZipText();
  const text = Buffer.from(bookText({ ebook: 81, sizeBytes: 300_000 }), 'latin1');
  const zip = Buffer.concat([buildZip([{ name: '81-0.txt', data: text, method: 'store' }]), Buffer.alloc(70_000, 0x20)]);
  const textPath = join(dir, '81-0.txt.part');
  const hash = createHash('sha256');
  const z = new ZipText(textPath, (c) => hash.update(c), { ebook: 81 });
  // 4 KB chunks, all offered at once: far more than unzipper's 16 queued writes.
  const fed: Array<Promise<void>> = [];
  for (let at = 0; at < zip.length; at += 4096) {
    const chunk = zip.subarray(at, at + 4096);
    fed.push(new Promise<void>((resolve, reject) => z.feed(chunk, (err) => (err ? reject(err) : resolve()))));
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('a feed was never answered'), 10_000);
  });
  const outcome = await Promise.race([Promise.all(fed).then(() => 'all answered'), timeout]);
  clearTimeout(timer);
  expect(outcome).toBe('all answered');
  z.end();
  await z.done;
  expect(hash.digest('hex')).toBe(createHash('sha256').update(text).digest('hex'));
  expect((await readFile(textPath)).equals(text)).toBe(true);
});
