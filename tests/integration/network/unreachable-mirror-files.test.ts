/**
 * A Gutenberg job against a mirror that cannot be reached writes nothing: no empty manifest.jsonl
 * (it was created when the job opened it), so the output folder the job made is tidied away as a
 * refused mail job's is (5a68f0b). One that existed is kept as it was.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture();
}, 60_000);
afterAll(async () => {
  await fx?.cleanup();
});

async function refusedJob(outDir: string) {
  // Port 1 on loopback: nothing listens there.
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: 'http://127.0.0.1:1/', selection: {}, workers: 2, outDir });
  const summary = await runGutenbergJob(spec, createJobControl());
  expect(summary.status).toBe('failed');
  expect(summary.failures.find((f) => f.item === '(job)')?.error.code).toBe('CONNECTION_REFUSED');
}

describe('a gutenberg job against an unreachable mirror', () => {
  it('leaves no manifest.jsonl, and no output folder it made', async () => {
    const outDir = join(fx.dir, 'unreachable', 'out');
    await refusedJob(outDir);
    expect(existsSync(join(outDir, 'manifest.jsonl'))).toBe(false);
    expect(existsSync(join(fx.dir, 'unreachable'))).toBe(false);
  });

  it('an output folder that existed is left as it was', async () => {
    const outDir = join(fx.dir, 'had-notes');
    mkdirSync(outDir);
    writeFileSync(join(outDir, 'notes.txt'), 'mine\n');
    await refusedJob(outDir);
    expect(readdirSync(outDir)).toEqual(['notes.txt']);
  });
});
