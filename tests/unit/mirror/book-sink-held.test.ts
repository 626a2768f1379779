import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BookSink, EAGER_META_BYTES } from '../../../electron/engine/mirror/book-sink';
import { PartFile } from '../../../electron/engine/output/part-file';
import type { WorkerProgress } from '../../../electron/engine/core/worker-context';

const progress: WorkerProgress = { setState() {}, setItemTotal() {}, addBytes() {}, resetItemBytes() {}, countRetry() {} };
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-sink-held-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const open = (holdSmall = true) => BookSink.open({ rawDir: dir, remoteName: '418-0.txt', textName: '418-0.txt', fromZip: false, progress, context: { ebook: 418 }, holdSmall });
const write = (sink: BookSink, bytes: Buffer) => new Promise<void>((resolve, reject) => sink.input.write(bytes, (err) => (err ? reject(err) : resolve())));
const chunks = (n: number, size: number) => Array.from({ length: n }, (_, i) => Buffer.alloc(size, 97 + (i % 26)));

describe('BookSink: a new file known to be small is written in one write', () => {
  it('its chunks reach the .part in one writev at the end; text, size and sha256 as sent', async () => {
    const writes = vi.spyOn(PartFile.prototype, 'write');
    const parts = chunks(6, 50_000);
    const all = Buffer.concat(parts);
    const sink = await open();
    sink.begin({ size: all.length });
    for (const part of parts) await write(sink, part);
    sink.input.end();
    await new Promise((r) => sink.input.once('finish', r));
    expect(writes).not.toHaveBeenCalled();
    const done = await sink.finish();
    expect(writes).toHaveBeenCalledTimes(1);
    expect((await readFile(join(dir, '418-0.txt'))).equals(all)).toBe(true);
    expect(done.bytes).toBe(all.length);
    const { createHash } = await import('node:crypto');
    expect(done.sha256).toBe(createHash('sha256').update(all).digest('hex'));
  });

  it('a failed attempt leaves every byte received in the .part, with its meta, for the resume', async () => {
    const parts = chunks(3, 40_000);
    const sink = await open();
    sink.begin({ size: 200_000, etag: '"e"' });
    for (const part of parts) await write(sink, part);
    await sink.close();
    expect((await readdir(dir)).sort()).toEqual(['418-0.txt.part', '418-0.txt.part.meta']);
    expect((await readFile(join(dir, '418-0.txt.part'))).equals(Buffer.concat(parts))).toBe(true);
    const next = await open();
    expect(next.startAt).toBe(120_000);
    await next.close();
  });

  it('a body longer than the held bound goes to disk from there on, every byte in order', async () => {
    const writes = vi.spyOn(PartFile.prototype, 'write');
    const parts = chunks(5, 600_000); // 3 MB against a size said to be small
    const sink = await open();
    sink.begin({ size: 1000 });
    for (const part of parts) await write(sink, part);
    expect(writes.mock.calls.length).toBeGreaterThan(0); // past EAGER_META_BYTES: written as it comes
    sink.input.end();
    await new Promise((r) => sink.input.once('finish', r));
    await sink.finish();
    expect(Buffer.concat(parts).length).toBeGreaterThan(EAGER_META_BYTES);
    expect((await readFile(join(dir, '418-0.txt'))).equals(Buffer.concat(parts))).toBe(true);
  });

  it('a file of unknown size is written as it comes', async () => {
    const writes = vi.spyOn(PartFile.prototype, 'write');
    const sink = await open();
    sink.begin();
    await write(sink, Buffer.alloc(1000, 120));
    expect(writes).toHaveBeenCalledTimes(1);
    await sink.close();
    expect((await readFile(join(dir, '418-0.txt.part'))).length).toBe(1000);
  });

  it('a sink not asked to hold (FTP) writes a small file as it comes', async () => {
    const writes = vi.spyOn(PartFile.prototype, 'write');
    const sink = await open(false);
    sink.begin({ size: 2000 });
    await write(sink, Buffer.alloc(1000, 120));
    expect(writes).toHaveBeenCalledTimes(1);
    await sink.close();
    expect((await readFile(join(dir, '418-0.txt.part'))).length).toBe(1000);
  });
});
