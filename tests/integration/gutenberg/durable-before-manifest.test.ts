import { readdirSync, readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import type { MirrorBookSpec } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

const BOOKS: MirrorBookSpec[] = Array.from({ length: 16 }, (_, i) => ({ ebook: 4200 + i, files: [i % 4 === 3 ? '-0.zip' : '-0.txt'], title: `Durable ${i}`, sizeBytes: 6_000 + i * 1_000 }));

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
});
afterAll(async () => {
  await fx?.cleanup();
});
afterEach(() => {
  vi.restoreAllMocks();
});

// The manifest's promise: a book's ok line is written only once its raw and clean files are on disk
// under their names, the names included (their folders fsynced after the renames). Folder fsyncs
// are shared between books landing together (output/dir-sync-group.ts): each line must still follow
// an fsync of each folder taken while the book's file was already there.
describe.runIf(process.platform === 'linux')('a book is recorded only after its files are durable', () => {
  it('every ok line follows an fsync of raw/ and of clean/ that saw the book\'s files', async () => {
    const out = join(fx.dir, 'out-durable');
    const rawDir = join(out, 'raw');
    const cleanDir = join(out, 'clean');
    /** Names present in each folder when it was fsynced, in order. */
    const synced = new Map<string, Set<string>>([[rawDir, new Set()], [cleanDir, new Set()]]);
    const violations: string[] = [];
    let lines = 0;

    const probe = await open(join(fx.dir, '.probe'), 'w');
    type Handle = { fd: number; sync(): Promise<void>; write(...args: unknown[]): Promise<unknown> };
    const proto = Object.getPrototypeOf(probe) as Handle;
    await probe.close();
    const realSync = proto.sync;
    const realWrite = proto.write;
    vi.spyOn(proto, 'sync').mockImplementation(async function (this: Handle) {
      const path = readlinkSync(`/proc/self/fd/${this.fd}`);
      const seen = synced.get(path);
      // The names present when the fsync starts are the ones it makes durable.
      const before = seen ? readdirSync(path) : [];
      await realSync.call(this);
      for (const name of before) seen?.add(name);
    });
    vi.spyOn(proto, 'write').mockImplementation(async function (this: Handle, ...args: unknown[]) {
      const path = readlinkSync(`/proc/self/fd/${this.fd}`);
      if (basename(path) === 'manifest.jsonl' && Buffer.isBuffer(args[0])) {
        for (const line of (args[0] as Buffer).toString('utf8').split('\n').filter(Boolean)) {
          const entry = JSON.parse(line) as { ebook: number; status: string; rawFile: string | null; cleanFile: string | null };
          if (entry.status !== 'ok') continue;
          lines++;
          if (!synced.get(rawDir)!.has(basename(entry.rawFile!))) violations.push(`${entry.ebook}: raw/ not fsynced with ${entry.rawFile}`);
          if (!synced.get(cleanDir)!.has(basename(entry.cleanFile!))) violations.push(`${entry.ebook}: clean/ not fsynced with ${entry.cleanFile}`);
        }
      }
      return realWrite.apply(this, args);
    });

    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: fx.http.url, workers: 4, strategy: 'adaptive', outDir: out, attempts: 1 });
    const summary = await runGutenbergJob(spec, createJobControl());
    expect(summary.itemsDone).toBe(BOOKS.length);
    expect(lines).toBe(BOOKS.length);
    expect(violations).toEqual([]);
  });
});
