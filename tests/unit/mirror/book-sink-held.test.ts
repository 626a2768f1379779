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

describe('BookSink: a held text handed over (handOver, takeHeld)', () => {
  const openHandOver = () => BookSink.open({ rawDir: dir, remoteName: '418-0.txt', textName: '418-0.txt', fromZip: false, progress, context: { ebook: 418 }, holdSmall: true, handOver: true });
  const sha = async (b: Buffer) => (await import('node:crypto')).createHash('sha256').update(b).digest('hex');

  it('takeHeld gives every byte in order and the paths; nothing was written or opened here', async () => {
    const writes = vi.spyOn(PartFile.prototype, 'write');
    const parts = chunks(5, 60_000);
    const sink = await openHandOver();
    sink.begin({ size: 300_000 });
    expect(sink.takeHeld()).toBeNull(); // not every byte yet
    for (const part of parts) await write(sink, part);
    sink.input.end();
    await new Promise((r) => sink.input.once('finish', r));
    const held = sink.takeHeld()!;
    expect(Buffer.from(held.bytes).equals(Buffer.concat(parts))).toBe(true);
    expect(held.partPath).toBe(join(dir, '418-0.txt.part'));
    expect(held.rawPath).toBe(join(dir, '418-0.txt'));
    expect(writes).not.toHaveBeenCalled();
    await sink.close(); // done: no-op
    expect(await readdir(dir)).toEqual([]);
  });

  it('a body that outgrows the bound goes to disk: no hand-over, and finish hashes every byte', async () => {
    const parts = chunks(5, 600_000);
    const sink = await openHandOver();
    sink.begin({ size: 1000 });
    for (const part of parts) await write(sink, part);
    sink.input.end();
    await new Promise((r) => sink.input.once('finish', r));
    expect(sink.takeHeld()).toBeNull();
    const done = await sink.finish();
    expect(done.sha256).toBe(await sha(Buffer.concat(parts)));
    expect((await readFile(join(dir, '418-0.txt'))).equals(Buffer.concat(parts))).toBe(true);
  });

  it('not taken, finish lands it as before (hashed then); a failed attempt leaves its prefix and meta', async () => {
    const all = Buffer.concat(chunks(3, 10_000));
    const sink = await openHandOver();
    sink.begin({ size: all.length });
    await write(sink, all);
    sink.input.end();
    await new Promise((r) => sink.input.once('finish', r));
    const done = await sink.finish();
    expect(done.sha256).toBe(await sha(all));
    expect((await readFile(join(dir, '418-0.txt'))).equals(all)).toBe(true);

    const failed = await BookSink.open({ rawDir: dir, remoteName: '419-0.txt', textName: '419-0.txt', fromZip: false, progress, context: { ebook: 419 }, holdSmall: true, handOver: true });
    failed.begin({ size: 50_000, etag: '"e"' });
    await write(failed, Buffer.alloc(20_000, 1));
    await failed.close();
    expect((await readdir(dir)).sort()).toEqual(['418-0.txt', '419-0.txt.part', '419-0.txt.part.meta']);
    expect((await readFile(join(dir, '419-0.txt.part'))).length).toBe(20_000);
  });

  it('a part left by an earlier attempt (its meta may be there) is not handed over', async () => {
    const first = await openHandOver();
    first.begin({ size: 50_000, etag: '"e"' });
    await first.close(); // an empty part, with its meta
    const sink = await openHandOver();
    expect(sink.startAt).toBe(0);
    sink.begin({ size: 10 });
    await write(sink, Buffer.from('0123456789'));
    sink.input.end();
    await new Promise((r) => sink.input.once('finish', r));
    expect(sink.takeHeld()).toBeNull();
    await sink.finish();
    expect(await readdir(dir)).toEqual(['418-0.txt']);
  });
});
