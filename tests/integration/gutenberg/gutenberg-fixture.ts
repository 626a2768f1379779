import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMirror, startFtpServer, startHttpServer, type GeneratedMirror, type MirrorBookSpec, type FtpServer, type HttpServer } from '../../harness';

/** The books of the end-to-end tests: every form a mirror may hold, and one that is missing. */
export const BOOKS: MirrorBookSpec[] = [
  { ebook: 5, files: ['-0.txt'], title: 'The United States Constitution' },
  { ebook: 1001, files: ['-0.txt', '-8.txt', '.txt'], title: 'All Three Forms' },
  { ebook: 1002, files: ['-8.txt'], title: 'Only Latin One' },
  { ebook: 1003, files: ['.txt'], plainTxtLatin1: true, title: 'Latin One Named Txt' },
  { ebook: 1004, files: ['-0.zip'], title: 'Only Zipped' },
  { ebook: 1005, files: [], title: 'Missing Book' },
  ...Array.from({ length: 10 }, (_, i): MirrorBookSpec => ({ ebook: 2000 + i, files: ['-0.txt'], title: `Filler ${i}`, sizeBytes: 30_000 + i * 7_000 })),
];
export const MISSING = 1005;

export interface GutenbergFixture {
  dir: string;
  mirror: GeneratedMirror;
  catalogPath: string;
  ftp: FtpServer;
  http: HttpServer;
  cleanup(): Promise<void>;
}

/** One generated mirror served by vsftpd and by Node's HTTP server, plus a matching official-format catalog. */
export async function startGutenbergFixture(books: MirrorBookSpec[] = BOOKS): Promise<GutenbergFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'fanout-gb-'));
  const mirror = await generateMirror(join(dir, 'mirror'), books);
  const catalogPath = join(dir, 'pg_catalog.csv');
  const rows = books.map((b) => `${b.ebook},Text,2000-01-01,"${b.title ?? `Synthetic Book ${b.ebook}`}",en,"Author, Test",Fiction,PR,Best Books`);
  await writeFile(catalogPath, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...rows, ''].join('\n'));
  const ftp = await startFtpServer({ root: mirror.root });
  const http = await startHttpServer({ root: mirror.root });
  return {
    dir, mirror, catalogPath, ftp, http,
    async cleanup() {
      await Promise.allSettled([ftp.stop(), http.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
