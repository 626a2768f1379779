import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import { startGateRelay } from '../mirror/helpers';
import { startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

/**
 * `adaptive` over HTTP: a batch of one or two books (the first books of a job, before the queue fills,
 * and the last ones) asks for each book's folder index right behind its `N-0.txt`, so a book without
 * that file costs two round trips, not three. Shown without timing by a relay that holds the server's
 * replies from the client's `GET 1002-0.txt` until the client has also sent `GET …/1002/`: a client
 * that asks for the index only after the 404 stalls there (the relay then opens after its bound and
 * counts a time-out).
 */
let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture([
    { ebook: 5, files: ['-0.txt'], title: 'Has N-0' },
    { ebook: 1002, files: ['-8.txt'], title: 'Only Latin One' },
    { ebook: 2000, files: ['-0.txt'], title: 'Filler', sizeBytes: 40_000 },
  ]);
});
afterAll(async () => {
  await fx?.cleanup();
});

async function run(input: Omit<GutenbergJobInput, 'kind' | 'catalog'>) {
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, attempts: 1, timeoutMs: 10_000, ...input });
  return runGutenbergJob(spec, createJobControl());
}

async function manifest(outDir: string): Promise<ManifestEntry[]> {
  return (await readFile(join(outDir, 'manifest.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ManifestEntry);
}

const gets = (text: string) => text.split('\r\n').filter((l) => l.startsWith('GET ')).map((l) => l.split(' ')[1]!);

describe('adaptive over HTTP, one or two books at a time', () => {
  it('asks for a book\'s index right behind its N-0.txt, and not for a book whose file came before it was sent', async () => {
    const gate = await startGateRelay({ targetPort: fx.http.port, from: (t) => t.includes('/1002-0.txt '), until: (t) => t.includes('/1/0/0/1002/ '), boundMs: 5_000 });
    const outDir = join(fx.dir, 'out-singles');
    try {
      // One worker, three books: batches of ceil(remaining / 2) = 2, then 1.
      const summary = await run({ mirror: `http://${gate.hostPort}`, workers: 1, strategy: 'adaptive', outDir });
      expect(summary.itemsDone).toBe(3);
      expect(gate.connections).toBe(1);
      // 1002's index went out before its 404 came back.
      expect(gate.timedOut).toBe(0);
      expect(gate.opened).toBe(1);
      const sent = gets(gate.sent.join(''));
      // The first request goes alone (keep-alive not known yet): 5 has its file, its index is never sent.
      expect(sent[0]).toBe('/0/5/5-0.txt');
      expect(sent).not.toContain('/0/5/');
      expect(sent).toContain('/1/0/0/1002/');
      expect(sent.filter((p) => p.includes('/1002'))).toEqual(['/1/0/0/1002/1002-0.txt', '/1/0/0/1002/', '/1/0/0/1002/1002-8.txt']);
    } finally {
      await gate.stop();
    }
    // The same files as ever: 1002's -8.txt, whole.
    const lines = await manifest(outDir);
    expect(lines.map((l) => [l.ebook, l.status, l.remoteName]).sort()).toEqual([[1002, 'ok', '1002-8.txt'], [2000, 'ok', '2000-0.txt'], [5, 'ok', '5-0.txt']]);
    const want = fx.mirror.books.get(1002)!.files[0]!;
    expect(lines.find((l) => l.ebook === 1002)!.rawSha256).toBe(want.textSha256);
  });
});
