import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keptReadBuffers, readBook, takeBuffer } from '../../../electron/engine/scrub/read-buffers';
import { scrubBook } from '../../../electron/engine/scrub/scrub-book';
import { scrubFileTask } from '../../../electron/engine/scrub/scrub-file';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-read-buffers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A Gutenberg-like book of about `lines` lines, CRLF (cleaned in place), tagged so books differ. */
function book(tag: string, lines: number): Buffer {
  const body = Array.from({ length: lines }, (_, i) => `${tag} line ${i} of the book, some prose to clean.`).join('\r\n');
  return Buffer.from(`Title: ${tag}\r\n\r\n*** START OF THE PROJECT GUTENBERG EBOOK ${tag} ***\r\n\r\n${body}\r\n\r\n*** END OF THE PROJECT GUTENBERG EBOOK ${tag} ***\r\n\r\nLicence text.\r\n`);
}

describe('scrub read buffers', () => {
  it('reads the exact bytes, and a released buffer takes the next book (no new buffer per book)', async () => {
    const big = join(dir, 'big.txt');
    const small = join(dir, 'small.txt');
    await writeFile(big, book('big', 6000));
    await writeFile(small, book('small', 100));
    const a = readBook(big);
    expect(a.bytes.equals(await readFile(big))).toBe(true);
    const bufferA = a.bytes.buffer;
    a.release();
    const b = readBook(small);
    expect(b.bytes.equals(await readFile(small))).toBe(true);
    expect(b.bytes.buffer).toBe(bufferA); // the kept one, not a new allocation
    b.release();
    b.release(); // twice: kept once
    expect(keptReadBuffers().count).toBe(1);
  });

  it('gives books held at once their own buffers', async () => {
    const p1 = join(dir, 'one.txt');
    const p2 = join(dir, 'two.txt');
    await writeFile(p1, book('one', 500));
    await writeFile(p2, book('two', 500));
    const one = readBook(p1);
    const two = readBook(p2);
    expect(one.bytes.buffer).not.toBe(two.bytes.buffer);
    expect(one.bytes.equals(await readFile(p1))).toBe(true);
    one.release();
    two.release();
    expect(keptReadBuffers().count).toBeLessThanOrEqual(4);
  });

  it('does not keep a buffer for a book above 4 MiB', async () => {
    const huge = join(dir, 'huge.txt');
    await writeFile(huge, Buffer.alloc(5 * 1024 * 1024, 0x61));
    const before = keptReadBuffers();
    const h = readBook(huge);
    expect(h.bytes.length).toBe(5 * 1024 * 1024);
    h.release();
    expect(keptReadBuffers()).toEqual(before);
  });

  it('a file task after a larger book in the same buffer writes exactly its own clean text', async () => {
    const bigRaw = book('larger', 8000);
    const smallRaw = book('smaller', 50);
    await writeFile(join(dir, 'l.txt'), bigRaw);
    await writeFile(join(dir, 's.txt'), smallRaw);
    for (const [name, raw] of [['l', bigRaw], ['s', smallRaw]] as const) {
      const reply = await scrubFileTask({ rawPath: join(dir, `${name}.txt`), cleanPath: join(dir, `${name}.clean.txt`) });
      expect('result' in reply).toBe(true);
      const expected = scrubBook(Buffer.from(raw));
      const written = await readFile(join(dir, `${name}.clean.txt`));
      expect(written.equals(Buffer.from(expected.clean))).toBe(true);
      if ('result' in reply) expect(reply.result.cleanSha256).toBe(expected.cleanSha256);
    }
  });

  it('a windows-1252 book is transcoded into a kept buffer too: the next such book takes no new buffer', async () => {
    // Accents on every line (the Latin-1 way) and a few per page (the table), CRLF, tagged.
    const dense = (tag: string) => Buffer.from(book(tag, 3000).toString('latin1').replace(/line/g, 'ligne à Zoë'), 'latin1');
    const sparse = (tag: string) => Buffer.from(book(tag, 3000).toString('latin1').replace(/line 1\b/g, 'ligne crème'), 'latin1');
    const tasks = [dense('d1'), dense('d2'), sparse('s1'), sparse('s2')];
    let after: ReturnType<typeof keptReadBuffers> | null = null;
    for (const [i, raw] of tasks.entries()) {
      await writeFile(join(dir, `w${i}.txt`), raw);
      const reply = await scrubFileTask({ rawPath: join(dir, `w${i}.txt`), cleanPath: join(dir, `w${i}.clean.txt`) });
      const expected = scrubBook(Buffer.from(raw));
      expect(expected.encoding).toBe('windows-1252');
      expect((await readFile(join(dir, `w${i}.clean.txt`))).equals(Buffer.from(expected.clean))).toBe(true);
      expect('result' in reply && reply.result.cleanSha256).toBe(expected.cleanSha256);
      // Its raw and UTF-8 buffers given back, and the second book of a kind takes those of the first.
      if (i === 1) after = keptReadBuffers();
      if (i === 3) expect(keptReadBuffers()).toEqual(after);
      expect(keptReadBuffers().count).toBeGreaterThanOrEqual(2);
    }
  });

  it('keeps at most 8 buffers and 16 MiB', () => {
    const held = Array.from({ length: 12 }, () => takeBuffer(3 * 1024 * 1024));
    for (const h of held) h.release();
    const kept = keptReadBuffers();
    expect(kept.count).toBeLessThanOrEqual(8);
    expect(kept.bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
  });
});
