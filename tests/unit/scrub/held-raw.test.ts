import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScrubPool } from '../../../electron/engine/scrub/scrub-pool';
import { scrubBook } from '../../../electron/engine/scrub/scrub-book';
import { giveHeldBuffer, heldBuffer, keptHeldBuffers } from '../../../electron/engine/mirror/held-buffers';

const para = 'It was the best of times, it was the worst of times, it was the age of wisdom.\r\n';
const book = `*** START OF THE PROJECT GUTENBERG EBOOK X ***\r\n\r\n${para.repeat(2000)}\r\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\r\n`;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scrub-held-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

// An HTTP book held whole in memory is handed to the scrubber with its bytes (ScrubFileTask.raw): the
// scrubber writes the raw text (.part, fsync, rename) as well as the clean one, and hashes it.
describe.each(['threads', 'processes'] as const)('a file task with the raw bytes (%s)', (executor) => {
  it('writes raw and clean, byte-exact, under their names; reports the raw sha256 and mtime', async () => {
    const pool = createScrubPool({ executor, size: 1, maxQueue: 4, concurrentPerWorker: 2 });
    try {
      const bytes = Buffer.from(book);
      const expected = scrubBook(Buffer.from(book));
      const rawPath = join(dir, '1-0.txt');
      const result = await pool.scrub({ rawPath, cleanPath: join(dir, '1.txt'), raw: { bytes, partPath: `${rawPath}.part` } });
      expect(readdirSync(dir).sort()).toEqual(['1-0.txt', '1.txt']);
      expect(readFileSync(rawPath, 'utf8')).toBe(book);
      expect(result.raw).toEqual({ sha256: sha256(Buffer.from(book)), mtimeMs: statSync(rawPath).mtimeMs });
      expect(result.rawBytes).toBe(Buffer.byteLength(book));
      expect(sha256(readFileSync(join(dir, '1.txt')))).toBe(expected.cleanSha256);
      expect(result.cleanSha256).toBe(expected.cleanSha256);
    } finally {
      await pool.close();
    }
  });

  it('a lent buffer (mirror/held-buffers.ts) comes back whole from a thread, for the next book', async () => {
    const pool = createScrubPool({ executor, size: 1, maxQueue: 4 });
    try {
      const bytes = heldBuffer(Buffer.byteLength(book));
      bytes.set(Buffer.from(book));
      const capacity = bytes.buffer.byteLength;
      const rawPath = join(dir, '3-0.txt');
      const result = await pool.scrub({ rawPath, cleanPath: join(dir, '3.txt'), raw: { bytes, partPath: `${rawPath}.part`, lent: true } });
      expect(readFileSync(rawPath, 'utf8')).toBe(book);
      expect(result.raw?.sha256).toBe(sha256(Buffer.from(book)));
      if (executor === 'threads') {
        expect(bytes.buffer.byteLength).toBe(0); // moved
        expect(result.rawBuffer?.byteLength).toBe(capacity);
        const before = keptHeldBuffers();
        giveHeldBuffer(result.rawBuffer!);
        expect(keptHeldBuffers()).toBe(before + 1);
        expect(heldBuffer(1000).buffer).toBe(result.rawBuffer); // taken again
      } else expect(result.rawBuffer).toBeUndefined(); // a child got a copy
    } finally {
      await pool.close();
    }
  });

  it('a clean file that cannot be written fails the book with its errno and leaves no raw file or .part', async () => {
    const pool = createScrubPool({ executor, size: 1, maxQueue: 4 });
    try {
      const rawPath = join(dir, '2-0.txt');
      const failed = pool.scrub({ rawPath, cleanPath: join(dir, 'missing', '2.txt'), raw: { bytes: Buffer.from(book), partPath: `${rawPath}.part` } });
      await expect(failed).rejects.toMatchObject({ code: 'WRITE_FAILED', cause: { code: 'ENOENT' } });
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await pool.close();
    }
  });
});
