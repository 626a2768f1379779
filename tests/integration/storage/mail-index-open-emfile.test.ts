/**
 * s18, sibling of the manifest's open (storage/open-files-peak): a mail folder's `index.jsonl` is
 * opened by its first line, at a run's busiest moment (every connection's sockets and `.eml` temps
 * open). An open that met this process's open-files limit (EMFILE) failed the line (WRITE_FAILED
 * 'Could not update the index', caused by EMFILE: the job stopped OUT_OF_RESOURCES); it is tried
 * again (output/atomic-file.ts openRetrying: 250, 600, 1000 ms) and the line is written. A limit
 * that persists still fails it. The EMFILE is made by a mocked `open` (node:fs/promises) for the
 * index file only, counted: no real limit, no timing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';

const limit = vi.hoisted(() => ({ file: '', left: 0, fired: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs/promises')>();
  const openMocked = ((path: Parameters<typeof orig.open>[0], ...rest: unknown[]) => {
    if (limit.left > 0 && String(path) === limit.file) {
      limit.left--;
      limit.fired++;
      return Promise.reject(Object.assign(new Error(`EMFILE: too many open files, open '${String(path)}'`), { code: 'EMFILE', errno: -24, syscall: 'open', path: String(path) }));
    }
    return (orig.open as (...a: unknown[]) => Promise<unknown>)(path, ...rest);
  }) as typeof orig.open;
  return { ...orig, default: { ...orig, open: openMocked }, open: openMocked };
});

const { IndexLog } = await import('../../../electron/engine/mail/index-file');
const { outOfResources } = await import('../../../electron/engine/core/fanout-error');

const rec = (uid: number) => ({ uid, uidValidity: '7', messageId: null, internalDate: '2020-01-01T00:00:00.000Z', flags: [], size: 1, sha256: '0'.repeat(64), subject: null, from: null, file: `${uid}.eml` });

let base = '';
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'fanout-index-emfile-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});
beforeEach(() => {
  Object.assign(limit, { file: '', left: 0, fired: 0 });
});

it('the index\'s first open meets EMFILE twice: waited out, the line is written (was: WRITE_FAILED caused by EMFILE, the job stopped)', async () => {
  const file = join(base, 'a-index.jsonl');
  Object.assign(limit, { file, left: 2 });
  const log = new IndexLog(file, 'INBOX', async () => {});
  await log.append(rec(1), null);
  expect(limit.fired).toBe(2);
  expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ uid: 1 });
});

it('EMFILE on every try: the line fails, its cause still read as OUT_OF_RESOURCES', async () => {
  const file = join(base, 'b-index.jsonl');
  Object.assign(limit, { file, left: Infinity });
  const log = new IndexLog(file, 'INBOX', async () => {});
  const err = await log.append(rec(1), null).catch((e: unknown) => e);
  expect(outOfResources(err)).not.toBeNull();
  expect(limit.fired).toBe(4);
}, 20_000);
