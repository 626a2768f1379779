/**
 * s19: an open waiting out this process's open-files limit (core/resource-retry.ts: pauses of 250,
 * 600, 1000 ms) took no cancel: a job cancelled then waited up to 1.85 s more for each such open
 * (and a PartFile's, the lock's opens were not even retried). Each open of output/* now takes the
 * job's signal: a cancel during a pause rejects ABORTED at once, and no new try is made.
 *
 * The EMFILE comes from a mocked `open` (node:fs/promises) for this test's folder, on every try;
 * the cancel fires once the first try has failed and the pause is armed (setImmediate after the
 * failed try's microtasks): counts, not timing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';

const limit = vi.hoisted(() => ({ under: '\0', tries: 0, abort: null as null | (() => void) }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs/promises')>();
  const openMocked = ((path: Parameters<typeof orig.open>[0], ...rest: unknown[]) => {
    if (String(path).startsWith(limit.under)) {
      limit.tries++;
      // Once this try's rejection has been handled (the pause armed): cancel.
      if (limit.abort) setImmediate(limit.abort);
      return Promise.reject(Object.assign(new Error(`EMFILE: too many open files, open '${String(path)}'`), { code: 'EMFILE', errno: -24, syscall: 'open', path: String(path) }));
    }
    return (orig.open as (...a: unknown[]) => Promise<unknown>)(path, ...rest);
  }) as typeof orig.open;
  return { ...orig, default: { ...orig, open: openMocked }, open: openMocked };
});

const { openAtomicFile, openRetrying, renameDurably, syncDir, writeFileAtomic } = await import('../../../electron/engine/output/atomic-file');
const { PartFile } = await import('../../../electron/engine/output/part-file');
const { AppendLog } = await import('../../../electron/engine/output/append-log');
const { acquireOutputLock } = await import('../../../electron/engine/output/output-lock');
const { prepareOutputFolder } = await import('../../../electron/engine/output/prepare-folder');

let base = '';
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'fanout-open-signal-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/** `op(signal)` with every open under a new folder failing EMFILE, cancelled during the first pause: what it rejected with, and how many tries were made. */
async function cancelledAtTheLimit(op: (dir: string, signal: AbortSignal) => Promise<unknown>, prepare?: (dir: string) => Promise<void>): Promise<{ code: unknown; tries: number }> {
  const dir = await mkdtemp(join(base, 'case-'));
  await prepare?.(dir);
  const ac = new AbortController();
  Object.assign(limit, { under: dir, tries: 0, abort: () => ac.abort() });
  try {
    const err = await op(dir, ac.signal).then(
      () => null,
      (e: unknown) => e,
    );
    return { code: (err as { code?: unknown } | null)?.code, tries: limit.tries };
  } finally {
    Object.assign(limit, { under: '\0', abort: null });
  }
}

const ABORTED_AFTER_ONE = { code: 'ABORTED', tries: 1 };

it('openRetrying: a cancel during a pause at the open-files limit rejects ABORTED at once, no new try (was: EMFILE after 1.85 s, 4 tries)', async () => {
  expect(await cancelledAtTheLimit((dir, signal) => openRetrying(join(dir, 'f'), 'w', { signal }))).toEqual(ABORTED_AFTER_ONE);
});

it('the opens of output/*: an atomic file, renameDurably, a folder fsync, a .part, the manifest, the lock, a prepared folder', async () => {
  expect(await cancelledAtTheLimit((dir, signal) => openAtomicFile(join(dir, 'a.txt'), { signal }))).toEqual(ABORTED_AFTER_ONE);
  expect(await cancelledAtTheLimit((dir, signal) => writeFileAtomic(join(dir, 'a.txt'), 'x', { signal }))).toEqual(ABORTED_AFTER_ONE);
  expect(await cancelledAtTheLimit((dir, signal) => renameDurably(join(dir, 'a.part'), join(dir, 'a.txt'), { signal }), (dir) => writeFile(join(dir, 'a.part'), 'x'))).toEqual(ABORTED_AFTER_ONE);
  expect(await cancelledAtTheLimit((dir, signal) => syncDir(dir, { signal }))).toEqual(ABORTED_AFTER_ONE);
  expect(await cancelledAtTheLimit((dir, signal) => new PartFile(join(dir, 'b.part'), false, { signal }).write([Buffer.from('x')]))).toEqual(ABORTED_AFTER_ONE);
  expect(await cancelledAtTheLimit((dir, signal) => AppendLog.open(join(dir, 'manifest.jsonl'), { signal }))).toEqual(ABORTED_AFTER_ONE);
  expect(await cancelledAtTheLimit((dir, signal) => acquireOutputLock(dir, 'gutenberg', { signal }))).toEqual(ABORTED_AFTER_ONE);
  expect(await cancelledAtTheLimit((dir, signal) => prepareOutputFolder(join(dir, 'out'), 'gutenberg', ['raw'], { signal }))).toEqual(ABORTED_AFTER_ONE);
});
