import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { generateMirror, startProftpd, type FtpServer, type GeneratedMirror } from '../../harness';
import { makeCtx, removeAll, tempDir } from './helpers';

/**
 * ProFTPD with STAT denied (`<Limit STAT> DenyAll`) answers `212-Status of /dir:` `212 End of status`
 * with no lines at all, where an existing folder always lists `.` and `..` (a missing one gets a 450):
 * every book was BOOK_NOT_FOUND (permanent). Now STAT counts as unusable there, and the books are
 * listed with LIST. Needs tests/harness/proftpd-server.ts `extraConfig` (hf-proftpd-extra-config.patch).
 */
const BOOKS = [2000, 2001];
let work: string;
let gen: GeneratedMirror;
let ftp: FtpServer;

beforeAll(async () => {
  work = await tempDir('ftp-stat-denied-proftpd');
  gen = await generateMirror(path.join(work, 'mirror'), [...BOOKS.map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 40_000 })), { ebook: 2003, files: [] }]);
  ftp = await startProftpd({ root: gen.root, extraConfig: ['<Limit STAT>', '  DenyAll', '</Limit>'] });
});
afterAll(async () => {
  await ftp?.stop();
  await removeAll(work);
});

const want = (ebook: number) => gen.books.get(ebook)!.files[0]!.textSha256;

describe('FTP: ProFTPD with STAT denied', () => {
  it('fetchBooks and fetchBook list with LIST: every book fetched, a missing one BOOK_NOT_FOUND', { timeout: 60_000 }, async () => {
    const mirror = openMirror(ftp.url, { timeoutMs: 300_000 });
    try {
      const s = mirror.openSession(0);
      const results = await s.fetchBooks([...BOOKS, 2003], { rawDir: path.join(work, 'raw-batch'), ctx: makeCtx(), onFetched: async () => {} });
      for (const [i, ebook] of BOOKS.entries()) expect((results[i] as FetchedBook).sha256, String(results[i])).toBe(want(ebook));
      expect(results[2]).toMatchObject({ code: 'BOOK_NOT_FOUND' });
      const one = mirror.openSession(1);
      expect((await one.fetchBook(2001, { rawDir: path.join(work, 'raw-one'), ctx: makeCtx() })).sha256).toBe(want(2001));
      await s.close();
      await one.close();
    } finally {
      await mirror.close();
    }
  });
});
