import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type FetchedBook, type MirrorSession } from '../../../electron/engine/mirror';
import { RawParts } from '../../../electron/engine/mirror/raw-parts';
import { generateMirror, sha256, startFtpServer, startHttpServer, type FtpServer, type GeneratedMirror, type HttpServer } from '../../harness';
import { makeCtx, removeAll, tempDir } from './helpers';

/**
 * A cancel that fires just as a book lands (its text renamed into place) does not lose the book:
 * the session hands it back (fetchBook resolves with it; a batch whose every book has landed
 * returns them all) instead of throwing ABORTED, which left the file on disk but unknown to the
 * job, so the re-run fetched it again. The cancel is fired by the `.part` bookkeeping's `landed`
 * (called right after the rename), i.e. at the landing itself, on the real servers.
 */
let work: string;
let gen: GeneratedMirror;
let http: HttpServer;
let ftp: FtpServer;
const BOOKS = [2000, 2001, 2002];

/** RawParts whose `landed` (called once a book's text is renamed into place) aborts after the `after`-th landing. */
class CancelAtLanding extends RawParts {
  landings = 0;
  constructor(
    dir: string,
    private readonly controller: AbortController,
    private readonly after: number,
  ) {
    super(dir);
  }
  override landed(name: string): void {
    super.landed(name);
    if (++this.landings === this.after) this.controller.abort();
  }
}

beforeAll(async () => {
  work = await tempDir('cancel-at-landing');
  gen = await generateMirror(
    path.join(work, 'mirror'),
    BOOKS.map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 40_000 })),
  );
  http = await startHttpServer({ root: gen.root });
  ftp = await startFtpServer({ root: gen.root });
});

afterAll(async () => {
  await http?.stop();
  await ftp?.stop();
  await removeAll(work);
});

async function expectLanded(b: FetchedBook | FanoutError | undefined, ebook: number): Promise<void> {
  expect(b, `ebook ${ebook}`).not.toBeInstanceOf(FanoutError);
  const book = b as FetchedBook;
  expect(book.ebook).toBe(ebook);
  const want = gen.books.get(ebook)!.files[0]!.textSha256;
  expect(book.sha256).toBe(want);
  expect(sha256(await readFile(book.rawPath))).toBe(want);
}

describe.each([
  ['HTTP', () => http.url],
  ['FTP', () => ftp.url],
])('%s: a cancel at a landing', (_name, url) => {
  async function withSession<T>(fn: (s: MirrorSession) => Promise<T>): Promise<T> {
    const mirror = openMirror(url(), { timeoutMs: 10_000 });
    const s = mirror.openSession(0);
    try {
      return await fn(s);
    } finally {
      await s.close();
      await mirror.close();
    }
  }

  it('fetchBook hands back the book that landed', async () => {
    const rawDir = path.join(work, `${_name}-one`);
    const controller = new AbortController();
    const rawParts = new CancelAtLanding(rawDir, controller, 1);
    const got = await withSession((s) => s.fetchBook(BOOKS[0]!, { rawDir, rawParts, ctx: makeCtx(controller.signal) }).catch((e: unknown) => e));
    expect(rawParts.landings).toBe(1);
    expect(controller.signal.aborted).toBe(true);
    await expectLanded(got as FetchedBook, BOOKS[0]!);
  });

  it('a batch whose last book lands as the cancel fires returns every book', async () => {
    const rawDir = path.join(work, `${_name}-batch`);
    const controller = new AbortController();
    const rawParts = new CancelAtLanding(rawDir, controller, BOOKS.length);
    const delivered: number[] = [];
    const got = await withSession((s) =>
      s
        .fetchBooks(BOOKS, {
          rawDir,
          rawParts,
          ctx: makeCtx(controller.signal),
          onFetched: async (b) => {
            delivered.push(b.ebook);
          },
        })
        .catch((e: unknown) => e),
    );
    expect(rawParts.landings).toBe(BOOKS.length);
    expect(controller.signal.aborted).toBe(true);
    expect(got, 'the batch threw').toBeInstanceOf(Array);
    const results = got as Array<FetchedBook | FanoutError>;
    for (const [i, ebook] of BOOKS.entries()) await expectLanded(results[i], ebook);
    expect(delivered.sort()).toEqual([...BOOKS].sort());
  });

  it('a batch cancelled before its last book landed still rejects with ABORTED', async () => {
    const rawDir = path.join(work, `${_name}-early`);
    const controller = new AbortController();
    const rawParts = new CancelAtLanding(rawDir, controller, 1);
    const got = await withSession((s) => s.fetchBooks(BOOKS, { rawDir, rawParts, ctx: makeCtx(controller.signal), onFetched: async () => {} }).catch((e: unknown) => e));
    expect(controller.signal.aborted).toBe(true);
    // Either every book had landed by then (the batch returns them all) or the cancel stopped one.
    if (Array.isArray(got)) for (const [i, ebook] of BOOKS.entries()) await expectLanded(got[i] as FetchedBook, ebook);
    else expect(got).toMatchObject({ code: 'ABORTED' });
  });
});
