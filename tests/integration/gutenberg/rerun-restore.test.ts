import { cp, readFile, readdir, rename, rm, stat, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import type { JobEvent } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { MANIFEST_FILE, readManifest } from '../../../electron/engine/gutenberg/manifest-store';
import { verifyCorpus } from '../../../electron/engine/verify/verify-corpus';
import { sha256, startNginxServer, startPureFtpd, type MirrorBookSpec } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

/**
 * A complete output damaged as a user or a disk may (files deleted, cut, edited; the manifest
 * deleted or cut; stray temp and partial files), then the same job again, against real servers:
 * what was lost is restored byte-exact, what is whole is not fetched again, the numbers reconcile
 * with the disk and the manifest (`fanout verify corpus` finds nothing), and the user is told.
 */
const BOOKS: MirrorBookSpec[] = [
  ...Array.from({ length: 8 }, (_, i): MirrorBookSpec => ({ ebook: 4000 + i, files: ['-0.txt'], title: `Restore ${i}`, sizeBytes: 5_000 + i * 700 })),
  { ebook: 4100, files: ['-0.zip'], title: 'Zipped' },
  { ebook: 4101, files: ['-8.txt'], title: 'Latin One' },
];
const SERVERS = ['node-http', 'vsftpd', 'nginx', 'pure-ftpd'] as const;
type Server = (typeof SERVERS)[number];

let fx: GutenbergFixture;
const urls = {} as Record<Server, string>;
const stops: Array<() => Promise<void>> = [];
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
  const [nginx, pure] = await Promise.all([startNginxServer({ root: fx.mirror.root }), startPureFtpd({ root: fx.mirror.root })]);
  stops.push(() => nginx.stop(), () => pure.stop());
  Object.assign(urls, { 'node-http': fx.http.url, vsftpd: fx.ftp.url, nginx: nginx.url, 'pure-ftpd': pure.url });
});
afterAll(async () => {
  await Promise.allSettled(stops.map((s) => s()));
  await fx?.cleanup();
});

async function run(outDir: string, server: Server) {
  const warnings: string[] = [];
  const control = createJobControl();
  const onEvent = control.onEvent;
  control.onEvent = (e: JobEvent) => {
    if (e.kind === 'job:warning') warnings.push(e.message);
    onEvent(e);
  };
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: urls[server], workers: 3, strategy: 'adaptive', outDir, attempts: 2, timeoutMs: 10_000 });
  const summary = await runGutenbergJob(spec, control);
  // Lock-step notes of pure-ftpd are not about the re-run.
  return { summary, warnings: warnings.filter((w) => !w.startsWith('FTP server')) };
}

/** Every book recorded ok, its raw text the mirror's byte for byte and its clean file the one recorded; nothing extra on disk. */
async function expectWholeCorpus(outDir: string): Promise<void> {
  const manifest = await readManifest(outDir);
  expect([...manifest.keys()].sort()).toEqual(BOOKS.map((b) => b.ebook).sort());
  for (const e of manifest.values()) {
    expect(e.status, `ebook ${e.ebook}`).toBe('ok');
    const text = fx.mirror.books.get(e.ebook)!.files[0]!.text;
    expect(sha256(await readFile(join(outDir, e.rawFile!))), `ebook ${e.ebook} raw`).toBe(sha256(text));
  }
  const report = await verifyCorpus(outDir);
  expect({ missing: report.missing, corrupt: report.corrupt, extra: report.extra }).toEqual({ missing: [], corrupt: [], extra: [] });
}

/** mtime and inode of every file under raw/ and clean/: what a re-run left alone keeps both. */
async function fileIds(outDir: string): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const sub of ['raw', 'clean']) {
    for (const name of await readdir(join(outDir, sub))) {
      const st = await stat(join(outDir, sub, name));
      ids.set(`${sub}/${name}`, `${st.ino}:${st.mtimeMs}`);
    }
  }
  return ids;
}

describe.each(SERVERS)('re-run after files were lost or damaged (%s)', (server) => {
  it('restores each lost or changed file, leaves whole books alone, removes stray temp and partial files, and says what it restored', async () => {
    const outDir = join(fx.dir, `damaged-${server}`);
    expect((await run(outDir, server)).summary).toMatchObject({ status: 'succeeded', itemsDone: BOOKS.length });
    await unlink(join(outDir, 'raw/4000-0.txt'));
    await unlink(join(outDir, 'clean/4001.txt'));
    await truncate(join(outDir, 'raw/4002-0.txt'), 100);
    // Edited: other bytes, same size, a new mtime.
    const edited = join(outDir, 'clean/4004.txt');
    await writeFile(edited, Buffer.alloc((await stat(edited)).size, 0x78));
    await unlink(join(outDir, 'raw/4100-0.txt'));
    const before = await fileIds(outDir);
    // A partial download and its meta of a book that is done, and a killed run's temp files.
    await writeFile(join(outDir, 'raw/4005-0.txt.part'), 'stray');
    await writeFile(join(outDir, 'raw/4005-0.txt.part.meta'), '{}');
    await writeFile(join(outDir, 'raw/.4006-0.txt.0123456789abcdef.tmp'), 'stray');
    await writeFile(join(outDir, 'clean/.4006.txt.0123456789abcdef.tmp'), 'stray');

    const again = await run(outDir, server);
    expect(again.summary).toMatchObject({ status: 'succeeded', itemsDone: 5, itemsSkipped: BOOKS.length - 5, itemsFailed: 0 });
    await expectWholeCorpus(outDir);
    // The books that were whole: not fetched, not rewritten.
    const after = await fileIds(outDir);
    for (const ebook of [4003, 4005, 4006, 4007, 4101]) {
      for (const [file, id] of before) if (new RegExp(`^(raw|clean)/${ebook}[.-]`).test(file)) expect(after.get(file), file).toBe(id);
    }
    // One line per restored book, appended.
    expect((await readFile(join(outDir, MANIFEST_FILE), 'utf8')).trim().split('\n')).toHaveLength(BOOKS.length + 5);
    // The user is told which books were restored and why.
    const told = again.warnings.find((w) => w.includes('recorded as done'));
    expect(told, again.warnings.join('\n')).toBeDefined();
    expect(told).toContain('5 book(s)');
    for (const what of ['raw/4000-0.txt missing', 'clean/4001.txt missing', 'raw/4002-0.txt', 'clean/4004.txt', 'raw/4100-0.txt missing']) expect(told).toContain(what);
    expect(again.warnings.find((w) => w.includes('partial download'))).toContain('ebook 4005');

    // And the next run has nothing to do.
    expect((await run(outDir, server)).summary).toMatchObject({ status: 'succeeded', itemsDone: 0, itemsSkipped: BOOKS.length });
  });
});

describe.each(SERVERS)('re-run over partial files that nothing ties to the remote file (%s)', (server) => {
  it('a .part with no .part.meta, or a meta with neither size nor validator, is restarted, never resumed onto', async () => {
    const outDir = join(fx.dir, `stray-part-${server}`);
    expect((await run(outDir, server)).summary).toMatchObject({ status: 'succeeded', itemsDone: BOOKS.length });
    // Books not done (their raw file lost), each with a partial file of other bytes: what a crash, an
    // older version or another tool may leave. Resumed onto, the raw file would be those bytes and
    // then the mirror's from there on, recorded ok with the spliced file's sha256, and verify silent.
    for (const ebook of [4000, 4003]) {
      await unlink(join(outDir, `raw/${ebook}-0.txt`));
      await writeFile(join(outDir, `raw/${ebook}-0.txt.part`), Buffer.alloc(100, 0x78));
    }
    await writeFile(join(outDir, 'raw/4003-0.txt.part.meta'), JSON.stringify({ size: null }));
    expect((await run(outDir, server)).summary).toMatchObject({ status: 'succeeded', itemsDone: 2, itemsSkipped: BOOKS.length - 2 });
    await expectWholeCorpus(outDir);
  });
});

describe('re-run after the manifest was lost', () => {
  it.each([
    ['deleted', 'node-http', BOOKS.length],
    ['cut to half its lines', 'vsftpd', BOOKS.length / 2],
  ] as const)('manifest %s (%s): the books it no longer records are fetched again, and the user is told their files were there, not recorded', async (how, server, lost) => {
    const outDir = join(fx.dir, `manifest-${server}`);
    expect((await run(outDir, server)).summary).toMatchObject({ status: 'succeeded', itemsDone: BOOKS.length });
    const path = join(outDir, MANIFEST_FILE);
    if (lost === BOOKS.length) await unlink(path);
    else {
      const lines = (await readFile(path, 'utf8')).trim().split('\n');
      await writeFile(path, lines.slice(0, lines.length - lost).join('\n') + '\n');
    }
    const again = await run(outDir, server);
    expect(again.summary, how).toMatchObject({ status: 'succeeded', itemsDone: lost, itemsSkipped: BOOKS.length - lost });
    await expectWholeCorpus(outDir);
    const told = again.warnings.find((w) => w.includes('records as done ('));
    expect(told, again.warnings.join('\n')).toContain(`${lost} book(s)`);
  });
});

describe('re-run when the mirror now holds the book under another name', () => {
  it.each(['node-http', 'vsftpd'] as const)('the damaged raw file the new one replaces is removed once the new line is written (%s)', async (server) => {
    // Its own mirror: one of its files is removed half-way.
    const books: MirrorBookSpec[] = [{ ebook: 4300, files: ['-0.txt', '-8.txt'], title: 'Renamed' }];
    const own = await startGutenbergFixture(books);
    try {
      const outDir = join(own.dir, 'out');
      const spec = (mirror: string) => GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: own.catalogPath, mirror, workers: 1, strategy: 'queue', outDir, attempts: 2, timeoutMs: 10_000 });
      const mirror = server === 'node-http' ? own.http.url : own.ftp.url;
      expect(await runGutenbergJob(spec(mirror), createJobControl())).toMatchObject({ status: 'succeeded', itemsDone: 1 });
      expect((await readManifest(outDir)).get(4300)).toMatchObject({ rawFile: 'raw/4300-0.txt' });
      // The raw file is cut; the mirror has since dropped its UTF-8 file, so the re-run lands 4300-8.txt.
      await truncate(join(outDir, 'raw/4300-0.txt'), 100);
      const utf8 = own.mirror.books.get(4300)!.files.find((f) => f.form === '-0.txt')!;
      await rm(join(own.mirror.root, ...utf8.relPath.split('/')));
      expect(await runGutenbergJob(spec(mirror), createJobControl())).toMatchObject({ status: 'succeeded', itemsDone: 1 });
      expect((await readManifest(outDir)).get(4300)).toMatchObject({ status: 'ok', rawFile: 'raw/4300-8.txt' });
      expect((await readdir(join(outDir, 'raw'))).sort()).toEqual(['4300-8.txt']);
      const report = await verifyCorpus(outDir);
      expect({ missing: report.missing, corrupt: report.corrupt, extra: report.extra }).toEqual({ missing: [], corrupt: [], extra: [] });
    } finally {
      await own.cleanup();
    }
  });
});

describe('re-run after a manifest line was damaged in the middle', () => {
  it('says which line is no record, fetches that book again, and does not also call it unrecorded', async () => {
    const outDir = join(fx.dir, 'damaged-line-nginx');
    expect((await run(outDir, 'nginx')).summary).toMatchObject({ status: 'succeeded', itemsDone: BOOKS.length });
    const path = join(outDir, MANIFEST_FILE);
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    const lost = (JSON.parse(lines[2]!) as { ebook: number }).ebook;
    // Cut in the middle (a lost write), its ebook number still readable: the book is named as damaged.
    lines[2] = lines[2]!.slice(0, lines[2]!.length / 2);
    await writeFile(path, lines.join('\n') + '\n');
    const again = await run(outDir, 'nginx');
    expect(again.summary).toMatchObject({ status: 'succeeded', itemsDone: 1, itemsSkipped: BOOKS.length - 1 });
    expect(again.warnings.find((w) => w.includes('damaged line'))).toContain(`line 3 (ebook ${lost})`);
    expect(again.warnings.find((w) => w.includes('records as done (')), again.warnings.join('\n')).toBeUndefined();
    expect((await readManifest(outDir)).get(lost)).toMatchObject({ status: 'ok' });
  });
});

describe('damage the quick check cannot see (same size, same mtime)', () => {
  it('is found by `fanout verify corpus`, and following its advice (delete the file, run again) restores the book', async () => {
    const outDir = join(fx.dir, 'same-size-nginx');
    expect((await run(outDir, 'nginx')).summary).toMatchObject({ status: 'succeeded', itemsDone: BOOKS.length });
    const manifest = await readManifest(outDir);
    const damaged = [manifest.get(4003)!.rawFile!, manifest.get(4006)!.cleanFile!];
    for (const rel of damaged) {
      const p = join(outDir, rel);
      const st = await stat(p);
      await writeFile(p, Buffer.alloc(st.size, 0x78));
      await utimes(p, st.atime, st.mtime);
    }
    // The default re-run reads no byte of a book whose files keep their size and mtime (rsync's rule).
    expect((await run(outDir, 'nginx')).summary).toMatchObject({ itemsDone: 0, itemsSkipped: BOOKS.length });
    const report = await verifyCorpus(outDir);
    expect(report.corrupt.map((c) => c.file).sort()).toEqual([...damaged].sort());
    // Each names its file (the equality above): as verify's to-do says, delete them, then run again.
    for (const c of report.corrupt) await rm(join(outDir, c.file!));
    expect((await run(outDir, 'nginx')).summary).toMatchObject({ status: 'succeeded', itemsDone: 2, itemsSkipped: BOOKS.length - 2 });
    await expectWholeCorpus(outDir);
  });
});

describe('the output folder moved', () => {
  it('a copy that did not keep the mtimes (cp -r) is hashed, not fetched: same bytes, the recorded mtimes are put back', async () => {
    const first = join(fx.dir, 'copied-from');
    const copy = join(fx.dir, 'copied-to');
    expect((await run(first, 'node-http')).summary).toMatchObject({ status: 'succeeded', itemsDone: BOOKS.length });
    await cp(first, copy, { recursive: true, preserveTimestamps: false });
    // One clean file of the copy edited as well (same size): that book alone is fetched again.
    const edited = join(copy, 'clean/4005.txt');
    await writeFile(edited, Buffer.alloc((await stat(edited)).size, 0x78));
    const requests = fx.http.requests.length;
    const again = await run(copy, 'node-http');
    expect(again.summary).toMatchObject({ status: 'succeeded', itemsDone: 1, itemsSkipped: BOOKS.length - 1 });
    expect(fx.http.requests.slice(requests).map((r) => r.path).filter((p) => /\/\d+-0\.txt$/.test(p)).map((p) => p.split('/').pop())).toEqual(['4005-0.txt']);
    expect(again.warnings.find((w) => w.includes('recorded as done'))).toContain('clean/4005.txt changed (other bytes than recorded)');
    await expectWholeCorpus(copy);
    // The mtimes were put back: the next re-run fetches nothing and says nothing.
    const third = await run(copy, 'node-http');
    expect(third.summary).toMatchObject({ itemsDone: 0, itemsSkipped: BOOKS.length });
    expect(third.warnings).toEqual([]);
    const manifest = await readManifest(copy);
    for (const e of manifest.values()) expect(Math.round((await stat(join(copy, e.rawFile!))).mtimeMs), `ebook ${e.ebook}`).toBe(e.rawMtimeMs);
  });


  it('a renamed folder is re-run in place with nothing fetched (the manifest holds relative paths)', async () => {
    const first = join(fx.dir, 'moved-from');
    const moved = join(fx.dir, 'moved-to');
    expect((await run(first, 'pure-ftpd')).summary).toMatchObject({ status: 'succeeded', itemsDone: BOOKS.length });
    await rename(first, moved);
    expect((await run(moved, 'pure-ftpd')).summary).toMatchObject({ status: 'succeeded', itemsDone: 0, itemsSkipped: BOOKS.length });
    await expectWholeCorpus(moved);
  });
});
