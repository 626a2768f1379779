import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { generateMirror, startFtpServer, type FtpServer, type GeneratedMirror } from '../../harness';
import { makeCtx, removeAll, tempDir } from './helpers';

/**
 * A server that refuses STAT (vsftpd `cmds_denied=STAT`: `550 Permission denied.`). A 550 to
 * `STAT <dir>` is not "no such folder" unless it says so (vsftpd and pure-ftpd list a missing folder
 * as empty, ProFTPD answers `450 …: No such file or directory`): the books are listed with LIST
 * instead. It made every book BOOK_NOT_FOUND (permanent, not retried).
 * Timeouts of 300 s: a wait for a reply that does not come fails by the test's own bound (60 s).
 */
const BOOKS = [2000, 2001, 2002];
let work: string;
let gen: GeneratedMirror;
let ftp: FtpServer;

beforeAll(async () => {
  work = await tempDir('ftp-stat-denied');
  gen = await generateMirror(path.join(work, 'mirror'), [...BOOKS.map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 40_000 })), { ebook: 2003, files: [] }]);
  ftp = await startFtpServer({ root: gen.root, extraConfig: ['cmds_denied=STAT'] });
});
afterAll(async () => {
  await ftp?.stop();
  await removeAll(work);
});

const want = (ebook: number) => gen.books.get(ebook)!.files[0]!.textSha256;

describe('FTP: a server that refuses STAT (vsftpd cmds_denied=STAT)', () => {
  it('fetchBook lists the folder with LIST and fetches the book', { timeout: 60_000 }, async () => {
    const mirror = openMirror(ftp.url, { timeoutMs: 300_000 });
    try {
      const s = mirror.openSession(0);
      expect((await s.fetchBook(2000, { rawDir: path.join(work, 'raw-one'), ctx: makeCtx() })).sha256).toBe(want(2000));
      expect((await s.fetchBook(2001, { rawDir: path.join(work, 'raw-one'), ctx: makeCtx() })).sha256).toBe(want(2001));
      await s.close();
    } finally {
      await mirror.close();
    }
  });

  it('fetchBooks: every book fetched, a missing one BOOK_NOT_FOUND', { timeout: 60_000 }, async () => {
    const mirror = openMirror(ftp.url, { timeoutMs: 300_000 });
    try {
      const results = await mirror.openSession(0).fetchBooks([...BOOKS, 2003], { rawDir: path.join(work, 'raw-batch'), ctx: makeCtx(), onFetched: async () => {} });
      for (const [i, ebook] of BOOKS.entries()) expect((results[i] as FetchedBook).sha256, String(results[i])).toBe(want(ebook));
      expect(results[3]).toMatchObject({ code: 'BOOK_NOT_FOUND' });
    } finally {
      await mirror.close();
    }
  });
});
