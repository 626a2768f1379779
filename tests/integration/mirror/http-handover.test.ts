import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { HttpSession } from '../../../electron/engine/mirror/http-session';
import { tlsTrust } from '../../../electron/engine/mirror/tls-trust';
import { generateMirror, sha256, startHttpServer, type GeneratedMirror, type HttpServer } from '../../harness';
import { makeCtx, removeAll, tempDir } from './helpers';

/**
 * `fetchBooks` with `deferRawLanding` (the Gutenberg job's batches): a small text received whole is
 * handed over as bytes, not on disk, and says so by its shape: no sha256 and no mtime (the caller
 * hashes and writes it), so nothing can take an empty string for its hash. A zip's text and a text
 * of 2 MiB or more are landed by the session as before, with their real hash.
 */
let work: string;
let gen: GeneratedMirror;
let http: HttpServer;
const SMALL = [2000, 2001];
const ZIP = 2002;
const BIG = 2003;

beforeAll(async () => {
  work = await tempDir('http-handover');
  gen = await generateMirror(path.join(work, 'mirror'), [
    ...SMALL.map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 30_000 })),
    { ebook: ZIP, files: ['-0.zip'], sizeBytes: 30_000 },
    { ebook: BIG, files: ['-0.txt'], sizeBytes: 2_300_000 },
  ]);
  http = await startHttpServer({ root: gen.root });
});

afterAll(async () => {
  await http?.stop();
  await removeAll(work);
});

it('a small text comes as bytes with no hash or mtime; a zip and a 2 MiB text come landed, hashed', async () => {
  const s = new HttpSession(
    { base: http.url, host: '127.0.0.1', timeoutMs: 10_000, tls: tlsTrust(undefined), stall: { ms: 10_000, minBytes: 1 }, server: { keepAlive: 'yes' }, speculateIndex: false },
    0,
  );
  const rawDir = path.join(work, 'raw');
  const delivered = new Map<number, object>();
  const ebooks = [...SMALL, ZIP, BIG];
  let results: unknown[];
  try {
    results = await s.fetchBooks(ebooks, {
      rawDir,
      ctx: makeCtx(),
      deferRawLanding: true,
      onFetched: async (b) => {
        delivered.set(b.ebook, b);
      },
    });
  } finally {
    await s.close();
  }
  expect([...delivered.keys()].sort()).toEqual([...ebooks].sort());
  for (const [i, ebook] of ebooks.entries()) {
    expect(results[i], `ebook ${ebook}`).not.toBeInstanceOf(FanoutError);
    expect(results[i], `ebook ${ebook}`).toBe(delivered.get(ebook));
  }
  for (const ebook of SMALL) {
    const b = delivered.get(ebook) as { rawPath: string; bytes: number; heldRaw?: { bytes: Uint8Array; partPath: string } };
    const want = gen.books.get(ebook)!.files[0]!;
    expect(b.heldRaw, `ebook ${ebook} held`).toBeDefined();
    // Not on disk, so nothing it could honestly say about a file: no hash, no mtime.
    expect(b).not.toHaveProperty('sha256');
    expect(b).not.toHaveProperty('mtimeMs');
    expect(sha256(Buffer.from(b.heldRaw!.bytes))).toBe(want.textSha256);
    expect(b.bytes).toBe(b.heldRaw!.bytes.length);
    expect(existsSync(b.rawPath)).toBe(false);
    expect(path.dirname(b.heldRaw!.partPath)).toBe(rawDir);
  }
  for (const ebook of [ZIP, BIG]) {
    const b = delivered.get(ebook) as { rawPath: string; sha256: string; mtimeMs?: number };
    const want = gen.books.get(ebook)!.files[0]!;
    expect(b, `ebook ${ebook} landed`).not.toHaveProperty('heldRaw');
    expect(b.sha256).toBe(want.textSha256);
    expect(sha256(await readFile(b.rawPath))).toBe(want.textSha256);
    expect(typeof b.mtimeMs).toBe('number');
  }
});
