/**
 * The live count of books done (telemetry frames: the run view's "N / M", its items/s line) counts
 * a book when it is on disk with its manifest line, as the summary does. It counted a book when its
 * download was handed to the scrubber: a disk that filled up while the book was being cleaned took
 * it back, so the run view read "1 / 41" for seconds, then "0 / 41", and its items/s line
 * went below zero (itemsPerSec -1.1).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryFrame } from '../../../shared/events';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { generateMirror, startHttpServer, type HttpServer, type MirrorBookSpec } from '../../harness';
import { mountTmpfs, skipWithoutTmpfs } from '../../harness/tmpfs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const BOOKS: MirrorBookSpec[] = Array.from({ length: 24 }, (_, i) => ({ ebook: 100 + i, files: ['-0.txt'], title: `Volume ${i}`, sizeBytes: 60_000 + ((i * 13) % 9) * 10_000 }));

const skip = await skipWithoutTmpfs();
let dir = '';
let http: HttpServer;
let catalog = '';

beforeAll(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'fanout-live-done-'));
  const mirror = await generateMirror(join(dir, 'mirror'), BOOKS);
  http = await startHttpServer({ root: mirror.root });
  catalog = join(dir, 'catalog.csv');
  await writeFile(catalog, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...BOOKS.map((b) => `${b.ebook},Text,2001-01-01,${b.title},en,A,F,PR,X`), ''].join('\n'));
}, 60_000);

afterAll(async () => {
  await http?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(skip)('the live done count on a disk that fills up', () => {
  it.each(['adaptive', 'queue'] as const)('%s: never goes down, never counts a book with no manifest line, items/s never below 0', async (strategy) => {
    const fs = await mountTmpfs(300 * 1024);
    try {
      const frames: TelemetryFrame[] = [];
      const control = createJobControl((e) => {
        if (e.kind === 'job:frame') frames.push(e.frame);
      });
      const outDir = join(fs.dir, 'corpus');
      const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: http.url, selection: {}, workers: 2, strategy, outDir });
      const summary = await runGutenbergJob(spec, control);
      expect(summary.failures.find((f) => f.item === '(job)')?.error.code).toBe('DISK_FULL');
      const ok = (await readFile(join(outDir, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean).filter((l) => (JSON.parse(l) as { status: string }).status === 'ok').length;
      expect(summary.itemsDone).toBe(ok);
      expect(frames.length).toBeGreaterThan(0);
      const counts = frames.map((f) => f.itemsDone);
      for (let i = 1; i < counts.length; i++) expect(counts[i], `frame ${i}: ${counts.join(',')}`).toBeGreaterThanOrEqual(counts[i - 1]!);
      expect(Math.max(...counts), counts.join(',')).toBeLessThanOrEqual(ok);
      expect(Math.min(...frames.map((f) => f.itemsPerSec))).toBeGreaterThanOrEqual(0);
      for (const f of frames) for (const w of f.workers) expect(w.itemsDone).toBeGreaterThanOrEqual(0);
    } finally {
      await fs.unmount();
    }
  });
});
