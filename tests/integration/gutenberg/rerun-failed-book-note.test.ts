import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import type { JobEvent } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { MANIFEST_FILE } from '../../../electron/engine/gutenberg/manifest-store';
import type { MirrorBookSpec } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

/**
 * From HE's review (session 14, finding F1 on 8c89c01 + 17bed94): a book whose last manifest line is a *failure*
 * (SCRUB_FAILED: its raw file landed, the scrubber refused it) keeps its raw text in raw/.
 * The re-run must not tell the user the manifest was "deleted or cut": the manifest is intact,
 * it records the book, as failed.
 */
const BOOKS: MirrorBookSpec[] = Array.from({ length: 4 }, (_, i): MirrorBookSpec => ({ ebook: 4200 + i, files: ['-0.txt'], title: `Note ${i}` }));
const BAD = 4201;

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
  // The mirror's text of BAD gets 300 NUL bytes near its start (at even and odd offsets alike, so no UTF-16
  // pattern; more than 1 % of the first 4 KB): refused by the scrubber as not text (SCRUB_FAILED). A few stray
  // NULs no longer are (0b4c4fc).
  const file = fx.mirror.books.get(BAD)!.files[0]!;
  const path = join(fx.mirror.root, ...file.relPath.split('/'));
  const bytes = await readFile(path);
  bytes.fill(0, 100, 400);
  await writeFile(path, bytes);
});
afterAll(async () => {
  await fx?.cleanup();
});

async function run(outDir: string, mirror: string) {
  const warnings: string[] = [];
  const control = createJobControl();
  const onEvent = control.onEvent;
  control.onEvent = (e: JobEvent) => {
    if (e.kind === 'job:warning') warnings.push(e.message);
    onEvent(e);
  };
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror, workers: 2, strategy: 'queue', outDir, attempts: 1, timeoutMs: 10_000 });
  const summary = await runGutenbergJob(spec, control);
  return { summary, warnings: warnings.filter((w) => !w.startsWith('FTP server')) };
}

describe('re-run after a book failed (its raw file kept)', () => {
  it.each(['ftp', 'http'] as const)('does not say the manifest was deleted or cut (%s)', async (kind) => {
    const outDir = join(fx.dir, `failed-${kind}`);
    const mirror = kind === 'ftp' ? fx.ftp.url : fx.http.url;
    const first = await run(outDir, mirror);
    expect(first.summary).toMatchObject({ itemsFailed: 1 });
    const lines = (await readFile(join(outDir, MANIFEST_FILE), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { ebook: number; status: string; errorCode: string });
    expect(lines.find((l) => l.ebook === BAD)).toMatchObject({ status: 'failed', errorCode: 'SCRUB_FAILED' });

    const again = await run(outDir, mirror);
    expect(again.summary).toMatchObject({ itemsFailed: 1 });
    // The manifest is whole and records the book (as failed): no word of it being deleted or cut.
    const wrong = again.warnings.find((w) => w.includes('records as done (') || w.includes('deleted or cut'));
    expect(wrong, again.warnings.join('\n')).toBeUndefined();
  });
});
