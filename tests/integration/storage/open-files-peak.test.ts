/**
 * s18: a short peak of open files (EMFILE) on a job's storage path is waited out, not a stop.
 * HX2 measured (s17, bundled CLI, 16 FTP workers, 150 books, nofile 64/72): after the scrub retry,
 * 2 of the 3 stops left were a folder's fsync on a book's finish path (`open '<out>/clean'`,
 * `open '<out>'`: the manifest's creation fsyncs the output folder) with 2 of 150 done; and at
 * nofile 70 'Cannot write the manifest: EMFILE'. Those opens are now tried again after 250, 600,
 * 1000 ms (core/resource-retry.ts); a limit that persists still stops the job (OUT_OF_RESOURCES,
 * no book recorded failed) and the re-run finishes.
 *
 * The EMFILE is made by a mocked `open` (node:fs/promises) for paths of this test's output folder
 * only, armed once the mirror has been asked for a book (so after the job's folder preparation): no
 * real limit, the outcome depends on counts, never on timing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import type { MirrorBookSpec } from '../../harness';

interface Rule {
  /** Which open fails (path, flags). */
  matches(path: string, flags: string): boolean;
  /** How many more opens it fails (Infinity: every one). */
  left: number;
  /** How many it failed. */
  fired: number;
}
const limit = vi.hoisted(() => ({ rules: [] as Rule[], armed: () => true as boolean }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs/promises')>();
  const openMocked = ((path: Parameters<typeof orig.open>[0], flags?: string | number, ...rest: unknown[]) => {
    const p = String(path);
    const f = String(flags ?? 'r');
    const rule = limit.rules.find((r) => r.left > 0 && r.matches(p, f) && limit.armed());
    if (rule) {
      rule.left--;
      rule.fired++;
      return Promise.reject(Object.assign(new Error(`EMFILE: too many open files, open '${p}'`), { code: 'EMFILE', errno: -24, syscall: 'open', path: p }));
    }
    return (orig.open as (...a: unknown[]) => Promise<unknown>)(path, flags, ...rest);
  }) as typeof orig.open;
  return { ...orig, default: { ...orig, open: openMocked }, open: openMocked };
});

const { GutenbergJobSpecSchema } = await import('../../../shared/job-spec');
const { createJobControl } = await import('../../../electron/engine/core/job-control');
const { runGutenbergJob } = await import('../../../electron/engine/gutenberg/run-gutenberg-job');
const { startGutenbergFixture } = await import('../gutenberg/gutenberg-fixture');
type GutenbergFixture = Awaited<ReturnType<typeof startGutenbergFixture>>;

const BOOKS: MirrorBookSpec[] = Array.from({ length: 12 }, (_, i) => ({ ebook: 6100 + i, files: ['-0.txt'], title: `Peak ${i}`, sizeBytes: 8_000 + i * 500 }));

let fx: GutenbergFixture;
let base = '';
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
  base = await mkdtemp(join(tmpdir(), 'fanout-peak-'));
});
afterAll(async () => {
  await fx?.cleanup();
  if (base) await rm(base, { recursive: true, force: true });
});
afterEach(() => {
  limit.rules = [];
  limit.armed = () => true;
});

/** Armed once the mirror was asked for a book: the job prepared its folder and is fetching. */
function armOnFirstBook(): void {
  const from = fx.http.requests.length;
  limit.armed = () => fx.http.requests.slice(from).some((r) => /\.txt$/.test(r.path));
}

function rule(matches: Rule['matches'], left: number): Rule {
  const r = { matches, left, fired: 0 };
  limit.rules.push(r);
  return r;
}

function run(outDir: string) {
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: fx.http.url, workers: 4, strategy: 'queue', attempts: 2, outDir });
  return runGutenbergJob(spec, createJobControl(() => {}));
}

async function okLines(out: string): Promise<number[]> {
  const text = await readFile(join(out, 'manifest.jsonl'), 'utf8').catch(() => '');
  const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { ebook: number; status: string });
  expect(lines.filter((l) => l.status !== 'ok'), 'lines recorded not ok').toEqual([]);
  return lines.map((l) => l.ebook).sort();
}

const all = BOOKS.map((b) => b.ebook).sort();

it('the folder fsyncs of a book\'s finish (raw/, clean/) and of the manifest\'s creation (the output folder) meet EMFILE twice each: waited out, every book done (was: the job stopped OUT_OF_RESOURCES)', async () => {
  const out = join(base, 'dir-sync');
  const folders = [out, join(out, 'raw'), join(out, 'clean')];
  const rules = folders.map((dir) => rule((p, f) => p === dir && f === 'r', 2));
  armOnFirstBook();
  const summary = await run(out);
  expect(rules.map((r) => r.fired), 'EMFILEs made (out/, raw/, clean/)').toEqual([2, 2, 2]);
  expect(summary.failures, JSON.stringify(summary.failures)).toEqual([]);
  expect(summary.status).toBe('succeeded');
  expect(summary.itemsDone).toBe(BOOKS.length);
  expect(await okLines(out)).toEqual(all);
});

it('the manifest\'s first open meets EMFILE twice: waited out, every line written (was: \'Cannot write the manifest: EMFILE\', the job stopped)', async () => {
  const out = join(base, 'manifest');
  const manifest = join(out, 'manifest.jsonl');
  const r = rule((p) => p === manifest, 2);
  const summary = await run(out);
  expect(r.fired).toBe(2);
  expect(summary.failures, JSON.stringify(summary.failures)).toEqual([]);
  expect(summary.itemsDone).toBe(BOOKS.length);
  expect(await okLines(out)).toEqual(all);
});

it('a limit that persists (every open of clean/ fails once fetching began) still stops the job: OUT_OF_RESOURCES naming EMFILE, no book recorded failed; the re-run finishes', async () => {
  const out = join(base, 'persists');
  const cleanDir = join(out, 'clean');
  const r = rule((p, f) => p === cleanDir && f === 'r', Infinity);
  armOnFirstBook();
  const summary = await run(out);
  // The first finish's fsync: 1 try + 3 new tries, then the stop (other books' finishes may add theirs).
  expect(r.fired).toBeGreaterThanOrEqual(4);
  expect(summary.status).toBe('failed');
  const jobError = summary.failures.find((f) => f.item === '(job)')?.error;
  expect(jobError?.code, JSON.stringify(summary.failures)).toBe('OUT_OF_RESOURCES');
  expect(jobError?.message).toMatch(/EMFILE.*ulimit -n/);
  expect(summary.failures.filter((f) => f.item !== '(job)'), 'books failed for it').toEqual([]);
  await okLines(out); // none recorded failed
  limit.rules = [];
  const again = await run(out);
  expect(again.failures).toEqual([]);
  expect(await okLines(out)).toEqual(all);
}, 60_000);
