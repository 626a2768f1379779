import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import type { MirrorBookSpec } from '../../harness';
import { MISSING, type GutenbergFixture } from './gutenberg-fixture';

/** A job over the fixture's catalog into `<fixture>/<name>` (3 workers, 10 s timeout, 2 attempts unless `input` says else): its summary and manifest lines (none when it left no manifest). */
export async function runFixtureJob(fx: GutenbergFixture, name: string, input: Partial<GutenbergJobInput>) {
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, outDir: join(fx.dir, name), workers: 3, timeoutMs: 10_000, attempts: 2, ...input });
  const summary = await runGutenbergJob(spec, createJobControl());
  // A job that recorded nothing (stopped before its first book) leaves no manifest.jsonl: no lines.
  const text = await readFile(join(spec.outDir, 'manifest.jsonl'), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const manifest = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ManifestEntry);
  return { summary, manifest };
}

/** Every book of `books` that has files landed, its raw text the mirror's byte for byte (sha256 of what the generator wrote); the missing one failed BOOK_NOT_FOUND. */
export function expectFixtureBooksExact(fx: GutenbergFixture, books: MirrorBookSpec[], manifest: ManifestEntry[]): void {
  const ok = manifest.filter((e) => e.status === 'ok');
  expect(ok.map((e) => e.ebook).sort()).toEqual(books.filter((b) => b.files.length > 0).map((b) => b.ebook).sort());
  for (const e of ok) {
    const file = fx.mirror.books.get(e.ebook)!.files.find((f) => f.relPath.endsWith(`/${e.remoteName}`))!;
    expect(e.rawSha256, `ebook ${e.ebook}`).toBe(file.textSha256);
  }
  expect(manifest.find((e) => e.ebook === MISSING)).toMatchObject({ status: 'failed', errorCode: 'BOOK_NOT_FOUND' });
}
