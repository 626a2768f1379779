import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import type { MirrorBookSpec } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

const BOOKS: MirrorBookSpec[] = Array.from({ length: 3 }, (_, i) => ({ ebook: 4100 + i, files: ['-0.txt'], title: `Once ${i}`, sizeBytes: 5_000 }));

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
});
afterAll(async () => {
  await fx?.cleanup();
});

/** Lets a reader blocked opening `fifo` go (it then reads an empty file); nothing when none waits. */
function releaseReaders(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    /* ENXIO: no reader waiting */
  }
}

describe('a job reads its catalog once', () => {
  it('fetches every book from a catalog that can be read only once (a FIFO)', async () => {
    // A named pipe gives its bytes to one reader; a second open of it waits for a writer that never comes.
    const fifo = join(fx.dir, 'catalog.fifo');
    await promisify(execFile)('mkfifo', [fifo]);
    const written = writeFile(fifo, await readFile(fx.catalogPath));
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fifo, mirror: fx.http.url, workers: 2, strategy: 'adaptive', outDir: join(fx.dir, 'out'), attempts: 1 });
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<'stuck'>((resolve) => (timer = setTimeout(() => resolve('stuck'), 20_000)));
    try {
      const summary = await Promise.race([runGutenbergJob(spec, createJobControl()), stuck]);
      expect(summary).not.toBe('stuck');
      expect(summary === 'stuck' ? null : { done: summary.itemsDone, failed: summary.itemsFailed }).toEqual({ done: 3, failed: 0 });
      await written;
    } finally {
      clearTimeout(timer);
      releaseReaders(fifo);
    }
  }, 30_000);
});
