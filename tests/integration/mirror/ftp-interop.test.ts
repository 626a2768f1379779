import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRATEGIES, type Strategy } from '../../../shared/strategy';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import type { JobSummary } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import {
  FTP_SERVER_KINDS,
  generateMirror,
  makeBookSpecs,
  sha256,
  startFtpServerOf,
  startTcpProxy,
  type FtpServer,
  type FtpServerKind,
  type GeneratedMirror,
  type MirrorBookSpec,
  type TcpProxy,
} from '../../harness';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { FORM_BOOKS, listFiles, makeCtx, removeAll, tempDir } from './helpers';

/**
 * The FTP interop matrix: every strategy on vsftpd, pure-ftpd and proftpd (real servers on
 * loopback) behind the latency proxy. Every book that exists arrives byte-exact, every missing one
 * is not-found (never a transient error), a re-run fetches nothing, and a server's per-address
 * limit ends with every book fetched by a smaller pool.
 */
const MISSING = [990, 991, 992];
const SPECS: MirrorBookSpec[] = [
  ...FORM_BOOKS,
  ...MISSING.map((ebook): MirrorBookSpec => ({ ebook, files: [] })),
  ...makeBookSpecs({ count: 26, medianBytes: 24_000, firstEbook: 3000, seed: 7 }),
];

let work: string;
let gen: GeneratedMirror;
let catalogPath: string;
/** Books the mirror has (a form an FTP client can fetch) and books it has not. */
let present: number[];
let absent: number[];

beforeAll(async () => {
  work = await tempDir('ftp-interop');
  gen = await generateMirror(path.join(work, 'mirror'), SPECS);
  present = SPECS.filter((s) => s.files.some((f) => f !== 'cache')).map((s) => s.ebook);
  absent = SPECS.filter((s) => !s.files.some((f) => f !== 'cache')).map((s) => s.ebook);
  catalogPath = path.join(work, 'catalog.csv');
  const rows = SPECS.map((b) => `${b.ebook},Text,2000-01-01,"Book ${b.ebook}",en,"Author, Test",Fiction,PR,Shelf`);
  await writeFile(catalogPath, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...rows, ''].join('\n'));
});

afterAll(async () => {
  await removeAll(work);
});

function runJob(mirror: string, outDir: string, strategy: Strategy, workers: number): Promise<JobSummary> {
  const spec = GutenbergJobSpecSchema.parse({
    kind: 'gutenberg', catalog: catalogPath, mirror, outDir, strategy, workers, attempts: 4, timeoutMs: 4000,
    selection: { ids: SPECS.map((s) => ({ from: s.ebook, to: s.ebook })) },
  });
  return runGutenbergJob(spec, createJobControl());
}

async function readManifest(outDir: string): Promise<Map<number, ManifestEntry>> {
  const text = await readFile(path.join(outDir, 'manifest.jsonl'), 'utf8');
  const byEbook = new Map<number, ManifestEntry>();
  for (const line of text.trim().split('\n')) {
    const e = JSON.parse(line) as ManifestEntry;
    byEbook.set(e.ebook, e);
  }
  return byEbook;
}

/** Every present book ok and byte-exact on disk; every absent one failed as not found. */
async function expectMirrored(outDir: string): Promise<void> {
  const manifest = await readManifest(outDir);
  for (const ebook of present) {
    const entry = manifest.get(ebook);
    const want = gen.books.get(ebook)!.files.find((f) => f.form !== 'cache')!;
    expect(entry?.status, `ebook ${ebook}: ${entry?.errorCode} ${entry?.error}`).toBe('ok');
    expect(entry!.remoteName, `ebook ${ebook}`).toBe(want.relPath.split('/').pop());
    expect(entry!.rawSha256, `ebook ${ebook}`).toBe(want.textSha256);
    expect(sha256(await readFile(path.join(outDir, entry!.rawFile!))), `ebook ${ebook} on disk`).toBe(want.textSha256);
  }
  for (const ebook of absent) {
    const entry = manifest.get(ebook);
    expect(entry?.status, `ebook ${ebook}`).toBe('failed');
    expect(['BOOK_NOT_FOUND', 'FTP_NOT_FOUND'], `ebook ${ebook}: ${entry?.errorCode} ${entry?.error}`).toContain(entry!.errorCode);
  }
}

describe.each(FTP_SERVER_KINDS)('FTP interop: %s', (kind: FtpServerKind) => {
  let server: FtpServer;
  let proxy: TcpProxy;

  beforeAll(async () => {
    server = await startFtpServerOf(kind, { root: gen.root });
    proxy = await startTcpProxy({ targetPort: server.port, ftp: true, delayMs: 2 });
  });
  afterAll(async () => {
    await proxy?.stop();
    await server?.stop();
  });

  it.each(STRATEGIES)('%s: every book byte-exact, missing ones not found, a re-run fetches nothing', async (strategy) => {
    const outDir = path.join(work, `${kind}-${strategy}`);
    const first = await runJob(server.urlVia(proxy.hostPort), outDir, strategy, 4);
    await expectMirrored(outDir);
    expect(first.itemsDone).toBe(present.length);
    expect(first.itemsFailed).toBe(absent.length);

    const again = await runJob(server.urlVia(proxy.hostPort), outDir, strategy, 4);
    expect(again.itemsSkipped).toBe(present.length);
    expect(again.itemsDone).toBe(0);
    expect(again.bytes).toBe(0);
    await expectMirrored(outDir);
  });
});

describe.each([
  ['pure-ftpd', 3],
  ['proftpd', 3],
  ['vsftpd', 3],
] as const)('FTP interop: %s limited to %i sessions per address', (kind, maxPerIp) => {
  it.each(['adaptive', 'queue'] as const)('%s with 8 workers fetches every book with a smaller pool', async (strategy) => {
    const server = await startFtpServerOf(kind, { root: gen.root, maxPerIp });
    const proxy = await startTcpProxy({ targetPort: server.port, ftp: true, delayMs: 5 });
    try {
      const outDir = path.join(work, `${kind}-limited-${strategy}`);
      const summary = await runJob(server.urlVia(proxy.hostPort), outDir, strategy, 8);
      await expectMirrored(outDir);
      expect(summary.itemsDone).toBe(present.length);
    } finally {
      await proxy.stop();
      await server.stop();
    }
  });
});

/**
 * The splice seen on pure-ftpd with `adaptive`: commands written during a transfer were answered
 * `500` ahead of the transfer's `226`, replies landed on the wrong books, and one book's bytes went
 * into another's `.part`, later resumed onto. Big books through a delay keep transfers running
 * while the next commands would be written. Whatever the server, every book must come out
 * byte-exact with no `.part` left; the server's verdict (lock-step or not) is reported once.
 */
describe.each(FTP_SERVER_KINDS)('FTP interop: %s, transfers running while commands are due', (kind) => {
  it('fetches two concurrent batches byte-exact, never a spliced or foreign file', async () => {
    const big = [3000, 3001, 3002, 3003, 3004, 3005, 3006, 3007, 3008, 3009, 3010, 3011];
    const root = path.join(work, `splice-${kind}`);
    const genBig = await generateMirror(root, big.map((ebook): MirrorBookSpec => ({ ebook, files: ['-0.txt'], sizeBytes: 150_000 + (ebook % 7) * 20_000 })));
    const server = await startFtpServerOf(kind, { root: genBig.root });
    const proxy = await startTcpProxy({ targetPort: server.port, ftp: true, delayMs: 5 });
    const verdicts: string[] = [];
    const mirror = openMirror(server.urlVia(proxy.hostPort), { timeoutMs: 5000, ftp: { onLockStep: (_host, reason) => verdicts.push(reason) } });
    const raw = path.join(work, `splice-${kind}-raw`);
    try {
      const lanes = [big.slice(0, 6), big.slice(6)].map(async (books, i) => {
        const s = mirror.openSession(i);
        const results = await s.fetchBooks(books, { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
        await s.close();
        return results;
      });
      const results = (await Promise.all(lanes)).flat();
      for (const [i, ebook] of big.entries()) {
        const r = results[i]!;
        expect(r, `ebook ${ebook}: ${r instanceof FanoutError ? r.message : ''}`).not.toBeInstanceOf(FanoutError);
        const want = genBig.books.get(ebook)!.files[0]!;
        expect((r as FetchedBook).sha256).toBe(want.textSha256);
        expect(sha256(await readFile((r as FetchedBook).rawPath))).toBe(want.textSha256);
      }
      expect(await listFiles(raw)).toEqual(big.map((e) => `${e}-0.txt`).sort());
      expect(verdicts.length).toBeLessThanOrEqual(1);
      if (kind === 'pure-ftpd') expect(verdicts[0]).toMatch(/500/);
      else expect(verdicts).toEqual([]);
    } finally {
      await mirror.close();
      await proxy.stop();
      await server.stop();
    }
  });
});
