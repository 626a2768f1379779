import { readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { verifyCorpus } from '../../../electron/engine/verify/verify-corpus';
import type { MirrorBookSpec } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

/**
 * `fanout verify corpus` says what a re-run does with each partial download it finds, and the
 * re-run does it: a `.part` (and its `.part.meta`) of a book already done and whole is removed
 * (since 8c89c01 the re-run deletes it; verify said it would be resumed); one of a book not done
 * is taken up by the download of that book (resumed or replaced), and gone once it lands.
 */
const BOOKS: MirrorBookSpec[] = Array.from({ length: 4 }, (_, i): MirrorBookSpec => ({ ebook: 4500 + i, files: ['-0.txt'], title: `Stale ${i}`, sizeBytes: 9_000 + i * 500 }));

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
});
afterAll(async () => {
  await fx?.cleanup();
});

describe.each(['node-http', 'vsftpd'] as const)('verify corpus on partial downloads, then the re-run (%s)', (server) => {
  it('a done book\'s .part and .part.meta: verify says the re-run removes them, and it does; a not-done book\'s .part: said to be resumed or replaced, and it is gone once the book lands', async () => {
    const outDir = join(fx.dir, `stale-${server}`);
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: server === 'node-http' ? fx.http.url : fx.ftp.url, workers: 2, strategy: 'adaptive', outDir, attempts: 2, timeoutMs: 10_000 });
    expect(await runGutenbergJob(spec, createJobControl())).toMatchObject({ status: 'succeeded', itemsDone: BOOKS.length });
    // Done and whole: 4500. Not done (its raw text lost): 4501.
    await writeFile(join(outDir, 'raw/4500-0.txt.part'), 'half of an earlier attempt');
    await writeFile(join(outDir, 'raw/4500-0.txt.part.meta'), JSON.stringify({ size: 9_000 }));
    await unlink(join(outDir, 'raw/4501-0.txt'));
    await writeFile(join(outDir, 'raw/4501-0.txt.part'), 'other bytes');

    const report = await verifyCorpus(outDir);
    const detail = (f: string) => report.extra.find((p) => p.file === join('raw', f))?.detail;
    expect(detail('4500-0.txt.part')).toMatch(/a partial download of a stopped run, of a book already done.*removes it/);
    expect(detail('4500-0.txt.part.meta')).toMatch(/the record of a partial download of a stopped run, of a book already done.*removes it/);
    expect(detail('4501-0.txt.part')).toMatch(/a partial download of a stopped run .*resumes it .*else downloads the book whole/);
    expect(detail('4501-0.txt.part')).not.toMatch(/removes it/);

    expect(await runGutenbergJob(spec, createJobControl())).toMatchObject({ status: 'succeeded', itemsDone: 1, itemsSkipped: BOOKS.length - 1 });
    expect((await readdir(join(outDir, 'raw'))).filter((n) => n.includes('.part'))).toEqual([]);
    const after = await verifyCorpus(outDir);
    expect({ missing: after.missing, corrupt: after.corrupt, extra: after.extra }).toEqual({ missing: [], corrupt: [], extra: [] });
  });
});
