import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openMirror } from '../../../electron/engine/mirror';
import { generateMirror, sha256, startFtpServer, startHttpServer, type FtpServer, type GeneratedMirror, type HttpServer } from '../../harness';
import { fetchOne, generatedFile, listFiles, removeAll, tempDir } from './helpers';

/**
 * A zip with bytes after its end record (appended junk, a padded download): its text is whole and
 * its directory complete, and `unzip` takes it with a warning. The streaming unzipper (ZipText, which
 * FTP and large HTTP zips go through) used to never settle on it: unzipper ends its parse at the end
 * record with the junk's write still pending, so its stream never finished and the book's fetch
 * waited forever. Now the text lands, as `unzip` would give it.
 */
let work: string;
let gen: GeneratedMirror;
let ftp: FtpServer;
let http: HttpServer;
const SMALL = 80; // FTP: every zip streams
const BIG = 81; // HTTP: over 2 MiB, streams too (a small one is unzipped whole: zip-held.test.ts)

beforeAll(async () => {
  work = await tempDir('zip-trailing');
  gen = await generateMirror(path.join(work, 'mirror'), [
    { ebook: SMALL, files: ['-0.zip'], sizeBytes: 40_000 },
    { ebook: BIG, files: ['-0.zip'], sizeBytes: 12_000_000 },
  ]);
  for (const ebook of [SMALL, BIG]) {
    const zip = gen.books.get(ebook)!.files[0]!;
    await appendFile(path.join(gen.root, zip.relPath), Buffer.alloc(70_000, 0x20));
  }
  ftp = await startFtpServer({ root: gen.root });
  http = await startHttpServer({ root: gen.root });
});

afterAll(async () => {
  await ftp?.stop();
  await http?.stop();
  await removeAll(work);
});

it.each([
  ['ftp', SMALL],
  ['http', BIG],
] as const)('%s: a zip with bytes after its end record gives its text', async (protocol, ebook) => {
  const raw = path.join(work, `raw-${protocol}`);
  const mirror = openMirror(protocol === 'ftp' ? ftp.url : http.url, { timeoutMs: 10_000 });
  const want = generatedFile(gen, ebook, '-0.zip');
  const r = await fetchOne(mirror, ebook, raw);
  expect(r.sha256).toBe(want.textSha256);
  expect(sha256(await readFile(r.rawPath))).toBe(want.textSha256);
  expect(await listFiles(raw)).toEqual([`${ebook}-0.txt`]);
});
