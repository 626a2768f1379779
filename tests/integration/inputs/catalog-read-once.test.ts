/**
 * The CLI's input check reads the catalog (is it a catalog, what does the selection pick) and the
 * job starts from that read (checkGutenbergJob → runGutenbergJob's `read`) instead of reading the
 * catalog again: 151 ms of a job's fixed cost at 75,000 rows. Proved by taking the catalog away
 * between the check and the job, which a second read would fail on.
 */
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { checkGutenbergJob } from '../../../electron/engine/inputs/job-inputs';
import { BOOKS, MISSING, startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

const present = BOOKS.filter((b) => b.ebook !== MISSING && b.files.length > 0).map((b) => b.ebook);

describe('one read of the catalog for the check and the job', () => {
  it('the job downloads what the check read, with the catalog gone after the check', async () => {
    const spec = GutenbergJobSpecSchema.parse({
      kind: 'gutenberg', catalog: fx.catalogPath, mirror: fx.http.url, selection: { ids: present.map((e) => ({ from: e, to: e })) }, workers: 2, outDir: join(fx.dir, 'once'),
    });
    const { check, selection } = await checkGutenbergJob(spec);
    expect(check.problems).toEqual([]);
    expect(check.selected).toBe(present.length);
    expect(selection?.total).toBe(present.length);
    await rename(fx.catalogPath, `${fx.catalogPath}.gone`);
    try {
      const summary = await runGutenbergJob(spec, createJobControl(), selection);
      expect(summary.status).toBe('succeeded');
      expect(summary.itemsDone).toBe(present.length);
    } finally {
      await rename(`${fx.catalogPath}.gone`, fx.catalogPath);
    }
  });

  it('the selection honours the limit and the filters as the job\'s own read does, and a failed check hands over none', async () => {
    const limited = GutenbergJobSpecSchema.parse({
      kind: 'gutenberg', catalog: fx.catalogPath, mirror: fx.http.url, selection: { ids: present.map((e) => ({ from: e, to: e })), limit: 2 }, outDir: join(fx.dir, 'limited'),
    });
    const { check, selection } = await checkGutenbergJob(limited);
    expect([check.selected, selection?.total]).toEqual([2, 2]);
    const picked: number[] = [];
    for await (const e of selection!.entries(new AbortController().signal)) picked.push(e.ebook);
    expect(picked).toEqual(present.slice(0, 2));
    const nothing = await checkGutenbergJob({ ...limited, catalog: join(fx.dir, 'no-such.csv') });
    expect(nothing.check.problems.map((p) => p.field)).toEqual(['catalog']);
    expect(nothing.selection).toBeUndefined();
  });
});
