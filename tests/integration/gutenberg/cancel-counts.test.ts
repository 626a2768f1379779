/**
 * A job cancelled in the middle of an `adaptive` batch: the books the batch had already landed,
 * cleaned and recorded are done, and the summary says so. The batch's call threw ABORTED and the
 * pool counted none of its books: a cancelled run printed 'CANCELLED: 1 books done' over a manifest
 * with 2 ok lines (and a book the scrubber was stopped on was taken off a count it was never in).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { generateMirror, startFtpServer, startHttpServer, type FtpServer, type HttpServer } from '../../harness';

const BOOKS = [5, 6, 7, 8, 9, 10, 11, 12];
let dir = '';
let http: HttpServer;
let ftp: FtpServer;
let catalog = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-cancel-counts-'));
  const mirror = await generateMirror(join(dir, 'mirror'), BOOKS.map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 3_000_000 })));
  http = await startHttpServer({ root: mirror.root });
  ftp = await startFtpServer({ root: mirror.root });
  catalog = join(dir, 'cat.csv');
  await writeFile(catalog, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...BOOKS.map((n) => `${n},Text,2000-01-01,"Book ${n}",en,"A",F,PR,X`), ''].join('\n'));
}, 120_000);

afterAll(async () => {
  await http?.stop();
  await ftp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function okLines(out: string): number {
  try {
    return readFileSync(join(out, 'manifest.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"status":"ok"')).length;
  } catch {
    return 0;
  }
}

describe('a job cancelled in the middle of a batch', () => {
  for (const via of ['http', 'ftp'] as const) {
    it(`${via}: the summary counts as done the books the manifest records done`, async () => {
      const out = join(dir, via);
      // One worker: the whole selection is one batch; the cap spreads it over a few seconds.
      const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: via === 'http' ? http.url : ftp.url, outDir: out, workers: 1, strategy: 'adaptive', limitRate: 8 * 1024 * 1024 });
      const control = createJobControl();
      const poll = setInterval(() => {
        if (okLines(out) > 0) control.abort();
      }, 10);
      let summary;
      try {
        summary = await runGutenbergJob(spec, control);
      } finally {
        clearInterval(poll);
      }
      expect(summary.status).toBe('cancelled');
      const recorded = okLines(out);
      expect(recorded).toBeGreaterThan(0);
      expect(recorded).toBeLessThan(BOOKS.length);
      expect({ done: summary.itemsDone, failed: summary.itemsFailed }).toEqual({ done: recorded, failed: 0 });
    });
  }
});
