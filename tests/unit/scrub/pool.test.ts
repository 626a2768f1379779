import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { createScrubPool, type ScrubPool } from '../../../electron/engine/scrub/scrub-pool';
import { scrubBook } from '../../../electron/engine/scrub/scrub-book';
import { errnoCode, storageFault } from '../../../electron/engine/output/storage-fault';

const fixturesDir = fileURLToPath(new URL('../../fixtures/scrub/', import.meta.url));
const fixtures = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => ({ file: f, bytes: new Uint8Array(readFileSync(fixturesDir + f)) }));

/** A synthetic book of about `kb` KiB, so tasks take long enough to pile up in the queue. */
function bigBook(kb: number): Uint8Array {
  const para = 'It was the best of times, it was the worst of times, it was the age of wisdom.\r\n';
  const body = para.repeat(Math.ceil((kb * 1024) / para.length));
  return new TextEncoder().encode(`*** START OF THE PROJECT GUTENBERG EBOOK BIG ***\r\n\r\n${body}\r\n*** END OF THE PROJECT GUTENBERG EBOOK BIG ***\r\n`);
}

async function rejection(p: Promise<unknown>): Promise<FanoutError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FanoutError);
    return err as FanoutError;
  }
  throw new Error('expected a rejection');
}

describe.each(['threads', 'processes'] as const)('createScrubPool (%s)', (executor) => {
  let pool: ScrubPool | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('gives exactly the output of the pure function, for every fixture', async () => {
    pool = createScrubPool({ executor, size: 2, maxQueue: 4 });
    const p = pool;
    const results = await Promise.all(fixtures.map(({ bytes }) => p.scrub(bytes.slice())));
    results.forEach((r, i) => {
      const expected = scrubBook(fixtures[i]!.bytes);
      expect(Buffer.from(r.clean).equals(Buffer.from(expected.clean)), fixtures[i]!.file).toBe(true);
      expect({ ...r, clean: null }).toEqual({ ...expected, clean: null });
    });
    const s = pool.stats();
    expect(s.completed).toBe(fixtures.length);
    expect(s.failed).toBe(0);
    expect(s.runTime.count).toBe(fixtures.length);
    expect(s.running + s.queued + s.waiting).toBe(0);
  });

  it('file tasks: the worker reads the raw file and writes the clean one (same bytes, mtime as on disk, no temp left)', async () => {
    // Several books per thread at once (the Gutenberg job's setting): each still written whole.
    pool = createScrubPool({ executor, size: 2, maxQueue: 4, concurrentPerWorker: 3 });
    const p = pool;
    const dir = mkdtempSync(join(tmpdir(), 'scrub-file-'));
    try {
      const some = fixtures.slice(0, 6);
      some.forEach(({ file, bytes }) => writeFileSync(join(dir, file), bytes));
      const results = await Promise.all(some.map(({ file }) => p.scrub({ rawPath: join(dir, file), cleanPath: join(dir, `clean-${file}`) })));
      results.forEach((r, i) => {
        const { file, bytes } = some[i]!;
        const expected = scrubBook(bytes);
        const written = readFileSync(join(dir, `clean-${file}`));
        expect(written.equals(Buffer.from(expected.clean)), file).toBe(true);
        expect(r.clean.byteLength).toBe(0);
        expect(r.cleanMtimeMs).toBe(statSync(join(dir, `clean-${file}`)).mtimeMs);
        expect({ ...r, clean: null, cleanMtimeMs: null }).toEqual({ ...expected, clean: null, cleanMtimeMs: null });
        expect(readFileSync(join(dir, file)).equals(Buffer.from(bytes)), 'the raw file is left as it was').toBe(true);
      });
      expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('file tasks: a failed file call is WRITE_FAILED carrying its errno (a full disk stays a full disk)', async () => {
    pool = createScrubPool({ executor, size: 1, maxQueue: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'scrub-file-'));
    try {
      writeFileSync(join(dir, 'raw.txt'), fixtures[0]!.bytes);
      const err = await rejection(pool.scrub({ rawPath: join(dir, 'raw.txt'), cleanPath: join(dir, 'missing', 'clean.txt') }));
      expect(err.code).toBe('WRITE_FAILED');
      expect(errnoCode(err)).toBe('ENOENT');
      const gone = await rejection(pool.scrub({ rawPath: join(dir, 'gone.txt'), cleanPath: join(dir, 'clean.txt') }));
      expect(errnoCode(gone)).toBe('ENOENT');
      expect(pool.stats().failed).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('file tasks: the clean folder removed meanwhile is the output folder gone (OUTPUT_NOT_WRITABLE naming it), not one book\'s WRITE_FAILED', async () => {
    // The path the fs call named crosses the thread/process boundary with the errno: without it the
    // job could not tell a folder gone from one file missing, and failed the book being cleaned
    // (integration storage/folder-gone under load: 'WRITE_FAILED: ENOENT ... rename .../clean/.2002.txt.….tmp').
    pool = createScrubPool({ executor, size: 1, maxQueue: 1 });
    const out = mkdtempSync(join(tmpdir(), 'scrub-gone-'));
    try {
      writeFileSync(join(out, 'raw.txt'), fixtures[0]!.bytes);
      const err = await rejection(pool.scrub({ rawPath: join(out, 'raw.txt'), cleanPath: join(out, 'clean', '1.txt') }));
      const fault = storageFault(err, out);
      expect(fault?.code).toBe('OUTPUT_NOT_WRITABLE');
      expect(fault?.message).toContain(`${join(out, 'clean')} is gone`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('holds callers back instead of queueing more than maxQueue', async () => {
    pool = createScrubPool({ executor, size: 1, maxQueue: 2 });
    const p = pool;
    const book = bigBook(256);
    let maxQueued = 0;
    let maxWaiting = 0;
    const sample = () => {
      const s = p.stats();
      maxQueued = Math.max(maxQueued, s.queued);
      maxWaiting = Math.max(maxWaiting, s.waiting);
      expect(s.running).toBeLessThanOrEqual(1);
    };
    const all: Array<Promise<unknown>> = [];
    for (let i = 0; i < 12; i++) {
      all.push(p.scrub(book.slice()).then(sample));
      sample();
    }
    // 1 running + 2 queued are admitted; the other 9 calls are parked, holding no pool memory.
    expect(p.stats().waiting).toBe(9);
    await Promise.all(all);
    expect(maxQueued).toBeLessThanOrEqual(2);
    expect(maxWaiting).toBe(9);
    expect(p.stats().completed).toBe(12);
  });

  it('rejects with ABORTED: already aborted, parked by backpressure, or queued', async () => {
    pool = createScrubPool({ executor, size: 1, maxQueue: 1 });
    const p = pool;
    const book = bigBook(128);
    expect((await rejection(p.scrub(book.slice(), { signal: AbortSignal.abort() }))).code).toBe('ABORTED');

    const ok = [p.scrub(book.slice()), p.scrub(book.slice())]; // running + queued
    const parked = new AbortController();
    const queuedOrParked = p.scrub(book.slice(), { signal: parked.signal });
    parked.abort();
    const err = await rejection(queuedOrParked);
    expect(err.code).toBe('ABORTED');
    expect(err.name).toBe('FanoutError');
    await Promise.all(ok);

    // The pool is still usable afterwards.
    const r = await p.scrub(book.slice());
    expect(r.startMarker).toBe(true);
  });

  it('rejects with SCRUB_FAILED once closed, and close() is idempotent', async () => {
    pool = createScrubPool({ executor, size: 1, maxQueue: 1 });
    await pool.scrub(fixtures[0]!.bytes.slice());
    await Promise.all([pool.close(), pool.close()]);
    const err = await rejection(pool.scrub(fixtures[0]!.bytes.slice()));
    expect(err.code).toBe('SCRUB_FAILED');
  });

  it('rejects parked callers with SCRUB_FAILED when closed under load', async () => {
    pool = createScrubPool({ executor, size: 1, maxQueue: 1 });
    const book = bigBook(128);
    const calls = [0, 1, 2, 3].map(() => pool!.scrub(book.slice()).then(() => 'ok', (e: FanoutError) => e.code));
    await pool.close();
    const outcomes = await Promise.all(calls);
    // The parked ones never reached a worker: they must fail, never hang.
    expect(outcomes.slice(2)).toEqual(['SCRUB_FAILED', 'SCRUB_FAILED']);
  });
});

describe('thread pool buffer handling', () => {
  it('moves a buffer it owns (detached afterwards) and copies a view into a shared slab', async () => {
    const pool = createScrubPool({ executor: 'threads', size: 1, maxQueue: 1 });
    try {
      const owned = new Uint8Array(fixtures[0]!.bytes);
      const r = await pool.scrub(owned);
      expect(owned.byteLength).toBe(0); // moved, not copied
      expect(r.clean.byteLength).toBe(r.cleanBytes);

      const neighbour = Buffer.from('neighbour'); // small Buffers share one pooled slab
      const view = Buffer.from('*** START OF THE PROJECT GUTENBERG EBOOK X ***\nhi\n');
      await pool.scrub(view);
      expect(neighbour.toString()).toBe('neighbour');
      expect(view.byteLength).toBeGreaterThan(0);

      // A Buffer view into a larger buffer of its own (not the slab): Buffer#slice would be a view, and moving it would detach the caller's bytes.
      const big = Buffer.concat([Buffer.alloc(10_000, 0x20), Buffer.from('*** START OF THE PROJECT GUTENBERG EBOOK X ***\nhi\n')]);
      await pool.scrub(big.subarray(10_000));
      expect(big.byteLength).toBe(10_000 + 50);
      expect(big.subarray(10_000, 10_003).toString()).toBe('***');
    } finally {
      await pool.close();
    }
  });

  it('refuses nonsense sizes', () => {
    expect(() => createScrubPool({ executor: 'threads', size: 0, maxQueue: 1 })).toThrow(FanoutError);
    expect(() => createScrubPool({ executor: 'processes', size: 1, maxQueue: 0 })).toThrow(/maxQueue/);
  });
});

describe('thread pool file tasks with a job signal', () => {
  it('a thread takes several books at once (concurrentPerWorker), and ABORTED still comes at once', async () => {
    // Found in the HTTP job (docs/BENCHMARKS.md, "Session 6"): piscina runs a task given an AbortSignal
    // alone on its thread, so with a job's signal each thread waited for one clean file's fsync before
    // the next book, whatever concurrentPerWorker said.
    const dir = mkdtempSync(join(tmpdir(), 'scrub-signal-'));
    const pool = createScrubPool({ executor: 'threads', size: 1, maxQueue: 4, concurrentPerWorker: 4 });
    try {
      for (let i = 0; i < 5; i++) writeFileSync(join(dir, `${i}.txt`), bigBook(200));
      await pool.scrub({ rawPath: join(dir, '0.txt'), cleanPath: join(dir, 'warm.txt') }); // the thread is up
      const stop = new AbortController();
      const tasks = [1, 2, 3, 4].map((i) => pool.scrub({ rawPath: join(dir, `${i}.txt`), cleanPath: join(dir, `clean-${i}.txt`) }, { signal: stop.signal }));
      expect(pool.stats().queued).toBe(0); // all four handed to the one thread, none waiting for it
      await Promise.all(tasks);
      for (const i of [1, 2, 3, 4]) expect(readFileSync(join(dir, `clean-${i}.txt`)).byteLength).toBeGreaterThan(100_000);

      const late = pool.scrub({ rawPath: join(dir, '1.txt'), cleanPath: join(dir, 'late.txt') }, { signal: stop.signal });
      stop.abort();
      expect((await rejection(late)).code).toBe('ABORTED');
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
