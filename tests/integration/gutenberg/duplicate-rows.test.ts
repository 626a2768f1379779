/**
 * A catalog that lists a book twice (a hand-made CSV, two catalogs pasted together): the job
 * handed both rows to the pool, two workers downloaded the same book into the same `.part` at once,
 * and one failed WRITE_FAILED ('ENOENT … rename raw/5-0.txt.part'), the job exiting 1 with a
 * failed line for a book it had; the total counted the rows, not the books. Now each book is
 * selected once (its first row), the job says how many rows repeated one, and its numbers
 * reconcile: by the job's own read of the catalog and by the input check's (the CLI's).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../shared/events';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { checkGutenbergJob } from '../../../electron/engine/inputs/job-inputs';
import { readManifest } from '../../../electron/engine/gutenberg/manifest-store';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { generateMirror, sha256, startHttpServer, type GeneratedMirror, type HttpServer } from '../../harness';

const BOOKS = [5, 6, 7];
let dir = '';
let mirror: GeneratedMirror;
let http: HttpServer;
let catalog = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-dup-rows-'));
  mirror = await generateMirror(join(dir, 'mirror'), BOOKS.map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 3_000_000 })));
  http = await startHttpServer({ root: mirror.root });
  catalog = join(dir, 'cat.csv');
  const row = (n: number, title: string) => `${n},Text,2000-01-01,"${title}",en,"B",F,PR,X`;
  await writeFile(catalog, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', row(5, 'Five'), row(5, 'Five again'), row(6, 'Six'), row(6, 'Six'), row(7, 'Seven'), ''].join('\n'));
}, 120_000);

afterAll(async () => {
  await http?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a catalog listing a book twice', () => {
  for (const via of ['the job reads the catalog', 'the input check read it (CLI)'] as const) {
    it(`${via}: each book once, byte-exact, reconciled, the repeats said`, async () => {
      const out = join(dir, via.startsWith('the job') ? 'job' : 'check');
      const events: JobEvent[] = [];
      const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: http.url, outDir: out, workers: 4, strategy: 'queue' });
      const read = via.startsWith('the job') ? undefined : (await checkGutenbergJob(spec)).selection;
      const summary = await runGutenbergJob(spec, createJobControl((e) => events.push(e)), read);
      expect(summary.failures).toEqual([]);
      expect(summary).toMatchObject({ status: 'succeeded', itemsTotal: BOOKS.length, itemsDone: BOOKS.length, itemsFailed: 0 });
      const manifest = await readManifest(out);
      for (const n of BOOKS) {
        expect(sha256(await readFile(join(out, 'raw', `${n}-0.txt`))), String(n)).toBe(mirror.books.get(n)!.files[0]!.sha256);
        expect(manifest.get(n)?.status).toBe('ok');
      }
      const lines = (await readFile(join(out, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean);
      expect(lines).toHaveLength(BOOKS.length);
      // The first row of a book is the one taken (its title).
      expect(manifest.get(5)?.title).toBe('Five');
      const warnings = events.flatMap((e) => (e.kind === 'job:warning' ? [e.message] : []));
      expect(warnings.join('\n')).toMatch(/catalog: 2 rows repeat a book listed before \(ebook 5, 6\); the first row of each is used/);
    });
  }
});
