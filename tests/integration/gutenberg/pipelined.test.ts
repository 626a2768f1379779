import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../../../shared/job-spec';
import type { Strategy } from '../../../shared/strategy';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import { sha256, startTcpProxy } from '../../harness';
import { count, startGateRelay } from '../mirror/helpers';
import { BOOKS, MISSING, startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

type Protocol = 'ftp' | 'http';

async function run(input: Omit<GutenbergJobInput, 'kind' | 'catalog'>) {
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, attempts: 3, timeoutMs: 5000, ...input });
  return runGutenbergJob(spec, createJobControl());
}

async function readManifest(outDir: string): Promise<ManifestEntry[]> {
  const text = await readFile(join(outDir, 'manifest.jsonl'), 'utf8');
  return text.trim().split('\n').map((l) => JSON.parse(l) as ManifestEntry);
}

/** The manifest without what depends on timing (and on the mirror's address), sorted by ebook. */
async function comparableManifest(outDir: string) {
  return (await readManifest(outDir))
    .map(({ downloadMs: _d, scrubMs: _s, finishedAt: _f, rawMtimeMs: _rm, cleanMtimeMs: _cm, sourceUrl, ...rest }) => ({ ...rest, sourcePath: sourceUrl ? new URL(sourceUrl).pathname : null }))
    .sort((a, b) => a.ebook - b.ebook);
}

/** Every output file with its sha256. */
async function outputFiles(outDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const sub of ['raw', 'clean']) {
    for (const name of (await readdir(join(outDir, sub))).sort()) out[`${sub}/${name}`] = sha256(await readFile(join(outDir, sub, name)));
  }
  return out;
}

const present = BOOKS.filter((b) => b.files.length > 0).map((b) => b.ebook);

describe.each(['ftp', 'http'] as Protocol[])('adaptive (pipelined batches) over %s', (protocol) => {
  const port = () => (protocol === 'ftp' ? fx.ftp.port : fx.http.port);

  it('writes the same files and manifest as queue, one connection per worker', async () => {
    // A relay that only records what the client sends (that the batches are pipelined is shown,
    // without timing, by the gate tests of tests/integration/mirror/pipelined-fetch.test.ts).
    const verb = protocol === 'ftp' ? 'STAT ' : 'GET ';
    const gate = await startGateRelay({ targetPort: port(), from: () => false, until: () => true });
    try {
      const outs: Record<Strategy, string> = { queue: join(fx.dir, `pl-${protocol}-queue`), adaptive: join(fx.dir, `pl-${protocol}-adaptive`) } as Record<Strategy, string>;
      const q = await run({ mirror: protocol === 'ftp' ? fx.ftp.url : fx.http.url, workers: 2, strategy: 'queue', outDir: outs.queue });
      const a = await run({ mirror: `${protocol}://${gate.hostPort}`, workers: 2, strategy: 'adaptive', outDir: outs.adaptive });
      for (const s of [q, a]) {
        expect(s.itemsDone).toBe(present.length);
        expect(s.itemsFailed).toBe(1);
        expect(s.failures[0]!.error).toMatchObject({ code: 'BOOK_NOT_FOUND', context: { ebook: MISSING } });
      }
      expect(await comparableManifest(outs.adaptive)).toEqual(await comparableManifest(outs.queue));
      expect(await outputFiles(outs.adaptive)).toEqual(await outputFiles(outs.queue));
      // One connection (FTP: one login) per worker for the whole job.
      expect(gate.connections).toBe(2);
      if (protocol === 'ftp') expect(count(gate.sent.join(''), 'USER ')).toBe(2);
      // Every book asked for once (FTP: one STAT per book; HTTP: one GET of N-0.txt per book).
      const firstAsks = gate.sent.join('').split('\r\n').filter((l) => l.startsWith(verb) && (protocol === 'ftp' || /-0\.txt /.test(l)));
      expect(firstAsks).toHaveLength(BOOKS.length);
    } finally {
      await gate.stop();
    }
  });

  it('completes a job whose connection is cut mid-batch (earlier books kept, the rest retried)', async () => {
    // HTTP: the first connection dies 100 KB in (a few books in); FTP: the first control connection
    // dies 1.5 KB in (after the login, among the listings and transfers of the first batch).
    const proxy = await startTcpProxy({ targetPort: port(), ftp: protocol === 'ftp', dropAfterBytes: protocol === 'ftp' ? 1_500 : 100_000, dropTimes: 1, dropOn: protocol === 'ftp' ? 'control' : 'any' });
    try {
      const outDir = join(fx.dir, `pl-${protocol}-cut`);
      const summary = await run({ mirror: `${protocol}://${proxy.hostPort}`, selection: { ids: present.map((n) => ({ from: n, to: n })) }, workers: 1, strategy: 'adaptive', outDir });
      expect(proxy.stats.dropped).toBe(1);
      expect(summary.status).toBe('succeeded');
      expect(summary.itemsDone).toBe(present.length);
      const manifest = await readManifest(outDir);
      expect(manifest.map((e) => e.ebook).sort((x, y) => x - y)).toEqual([...present].sort((x, y) => x - y));
      for (const entry of manifest) {
        expect(entry.status).toBe('ok');
        expect(entry.rawSha256).toBe(fx.mirror.books.get(entry.ebook)!.files[0]!.textSha256);
        expect(sha256(await readFile(join(outDir, entry.rawFile!)))).toBe(entry.rawSha256);
      }
      expect((await readdir(join(outDir, 'raw'))).filter((f) => f.includes('.part'))).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});
