import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { RawParts } from '../../../electron/engine/mirror/raw-parts';
import { FTP_SERVER_KINDS, generateMirror, startFtpServerOf, startTcpProxy, type FtpServer, type GeneratedMirror, type MirrorBookSpec } from '../../harness';
import { listFiles, makeCtx, removeAll, tempDir } from './helpers';

/**
 * FTP sessions open their books' sinks with the job's RawParts (raw/ made and listed once per job,
 * no mkdir and `.part` stat per book), and resumes are unchanged by it: a `.part` left by a cut
 * transfer is listed at the start, so it is still found and continued with REST; new books start
 * at 0; zips keep their raw `.part`. On every server of the matrix.
 */

const SPECS: MirrorBookSpec[] = [
  { ebook: 2000, files: ['-0.txt'], sizeBytes: 20_000 },
  { ebook: 3000, files: ['-0.txt'], sizeBytes: 2_300_000 }, // over 2 MiB: MDTM recorded, resumable
  { ebook: 77, files: ['-8.zip'], sizeBytes: 30_000 },
  { ebook: 5, files: ['-8.txt', '.txt'], sizeBytes: 10_000 },
  { ebook: 2001, files: ['-0.txt'], sizeBytes: 20_000 },
];
const BOOKS = [2000, 3000, 77, 5];

/** RawParts recording what the sinks asked it. */
class CountingRawParts extends RawParts {
  readonly asked: string[] = [];
  readonly landedNames: string[] = [];
  override async mayExist(name: string): Promise<boolean> {
    this.asked.push(name);
    return super.mayExist(name);
  }
  override landed(name: string): void {
    this.landedNames.push(name);
    super.landed(name);
  }
}

let work: string;
let gen: GeneratedMirror;
beforeAll(async () => {
  work = await tempDir('ftp-raw-parts');
  gen = await generateMirror(path.join(work, 'mirror'), SPECS);
});
afterAll(async () => {
  await removeAll(work);
});

describe.each(FTP_SERVER_KINDS)('FTP sinks through the job RawParts, %s', (kind) => {
  let ftp: FtpServer;
  beforeAll(async () => {
    ftp = await startFtpServerOf(kind, { root: gen.root });
  });
  afterAll(async () => {
    await ftp?.stop();
  });

  it('a cut book resumes from its .part, the others start at 0, every book sink goes through RawParts and lands', async () => {
    const raw = path.join(work, `raw-${kind}`);
    // A transfer cut at 100 kB leaves 3000-0.txt.part (and its meta) behind. Every data connection is
    // cut, not only the first: the session may carry the book on another one (pure-ftpd answers the
    // batch's NOOP probe out of step depending on timing, and the batch is redone on a new connection,
    // which went uncut to the end under load: the fetch succeeded, no `.part`).
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true, dropAfterBytes: 100_000, dropOn: 'data', dropTimes: 8 });
    const cut = openMirror(ftp.urlVia(proxy.hostPort), { timeoutMs: 5000 });
    try {
      const first = await cut.openSession(0).fetchBook(3000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
      expect((first as FanoutError).retryable).toBe(true);
      expect(await listFiles(raw)).toContain('3000-0.txt.part');
    } finally {
      await cut.close();
      await proxy.stop();
    }

    const rawParts = new CountingRawParts(raw);
    const mirror = openMirror(ftp.url, { timeoutMs: 5000 });
    try {
      const s = mirror.openSession(0);
      const results = await s.fetchBooks(BOOKS, { rawDir: raw, rawParts, ctx: makeCtx(), onFetched: async () => {} });
      const want = BOOKS.map((ebook) => gen.books.get(ebook)!.files[0]!);
      for (const [i, r] of results.entries()) {
        expect(r, `ebook ${BOOKS[i]}`).not.toBeInstanceOf(FanoutError);
        expect((r as FetchedBook).sha256).toBe(want[i]!.textSha256);
      }
      const resumed = results[1] as FetchedBook;
      expect(resumed.resumedFrom).toBeGreaterThan(0);
      expect(resumed.resumedFrom + resumed.transferredBytes).toBe(want[1]!.bytes);
      for (const i of [0, 2, 3]) expect((results[i] as FetchedBook).resumedFrom).toBe(0);
      // The single-book path, through the same RawParts.
      const single = await s.fetchBook(2001, { rawDir: raw, rawParts, ctx: makeCtx() });
      expect(single).toMatchObject({ resumedFrom: 0, sha256: gen.books.get(2001)!.files[0]!.textSha256 });
      await s.close();
    } finally {
      await mirror.close();
    }
    // Every book's resumable .part was asked about (a zip's raw bytes, else the text) and landed.
    const resumable = ['2000-0.txt.part', '3000-0.txt.part', '77-8.zip.part', '5-8.txt.part', '2001-0.txt.part'];
    expect(rawParts.asked).toEqual(expect.arrayContaining(resumable));
    expect([...rawParts.landedNames].sort()).toEqual([...resumable].sort());
    // The texts only: no .part, .meta or zip left behind.
    expect(await listFiles(raw)).toEqual(['2000-0.txt', '2001-0.txt', '3000-0.txt', '5-8.txt', '77-8.txt']);
  });
});
