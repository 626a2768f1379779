import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import type { WorkerProgress } from '../../../electron/engine/core/worker-context';
import { BookSink } from '../../../electron/engine/mirror/book-sink';
import { WHOLE_ZIP_TEXT_MAX_BYTES, zipTextOf } from '../../../electron/engine/mirror/zip-text';
import { PartFile } from '../../../electron/engine/output/part-file';
import { bookText, buildZip, durableRename, recordFsyncs, type SyncEvent } from '../../harness';

/**
 * A small zip received whole over HTTP (`holdSmall`, its size said under 2 MiB) is held in memory and
 * unzipped in one piece (`zipTextOf`) instead of streamed through unzipper with a raw `.part`. The same
 * text, hash and errors as the streaming path on every archive below (the streaming path decides
 * every zip `zipTextOf` leaves to it); durable the same way; a failed attempt still leaves the raw
 * bytes received as the resumable `.part`.
 */
const progress: WorkerProgress = { setState() {}, setItemTotal() {}, addBytes() {}, resetItemBytes() {}, countRetry() {} };
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-zip-held-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const text = Buffer.from(bookText({ ebook: 418, sizeBytes: 200_000 }), 'latin1');
const open = (holdSmall: boolean, rawDir = dir) =>
  BookSink.open({ rawDir, remoteName: '418-8.zip', textName: '418-8.txt', fromZip: true, progress, context: { ebook: 418 }, holdSmall });
const write = (sink: BookSink, bytes: Buffer) => new Promise<void>((resolve, reject) => sink.input.write(bytes, (err) => (err ? reject(err) : resolve())));

/** Receives `zip` in 64 KB chunks and finishes: the text and hash, or the error code. */
async function receive(zip: Buffer, holdSmall: boolean, rawDir = dir): Promise<{ text?: Buffer; sha256?: string; code?: string; left: string[] }> {
  const sink = await open(holdSmall, rawDir);
  sink.begin({ size: zip.length });
  try {
    for (let at = 0; at < zip.length; at += 65_536) await write(sink, zip.subarray(at, at + 65_536));
    sink.input.end();
    await new Promise((r) => sink.input.once('finish', r));
    const done = await sink.finish();
    return { text: await readFile(done.rawPath), sha256: done.sha256, left: (await readdir(rawDir)).sort() };
  } catch (e) {
    await sink.close();
    return { code: e instanceof FanoutError ? e.code : String(e), left: (await readdir(rawDir)).sort() };
  }
}

/** `zip` with its first local header's flags set to `flags`. */
function withFlags(zip: Buffer, flags: number): Buffer {
  const copy = Buffer.from(zip);
  copy.writeUInt16LE(flags, 6);
  return copy;
}

const one = buildZip([{ name: '418-8.txt', data: text }]);
const dataAt = 30 + '418-8.txt'.length;
const CASES: Array<[string, Buffer, 'fast' | 'left']> = [
  ['one deflated text', one, 'fast'],
  ['one stored text', buildZip([{ name: '418-8.txt', data: text, method: 'store' }]), 'fast'],
  ['unsafe and non-text entries before the text', buildZip([{ name: '../evil.txt', data: Buffer.from('pwned') }, { name: 'images/', data: Buffer.alloc(0) }, { name: 'readme.md', data: Buffer.from('x') }, { name: '418-8.txt', data: text }]), 'fast'],
  ['two texts: the first safe one', buildZip([{ name: '/etc/x.txt', data: Buffer.from('no') }, { name: 'a.TXT', data: text }, { name: 'b.txt', data: Buffer.from('second') }]), 'fast'],
  ['an empty text', buildZip([{ name: '418-8.txt', data: Buffer.alloc(0) }]), 'fast'],
  ['no text entry', buildZip([{ name: 'readme.md', data: Buffer.from('x') }]), 'left'],
  ['only an unsafe text', buildZip([{ name: '../../evil.txt', data: text }]), 'left'],
  ['cut inside the text', one.subarray(0, 5000), 'left'],
  ['cut inside the central directory', one.subarray(0, one.length - 30), 'left'],
  ['damaged deflate data', Buffer.concat([one.subarray(0, dataAt), Buffer.alloc(64, 0xff), one.subarray(dataAt + 64)]), 'left'],
  ['a data-descriptor flag', withFlags(one, 0x0808), 'left'],
  ['an encrypted flag', withFlags(one, 0x0801), 'left'],
  ['not a zip', Buffer.from('<html>not found</html>'), 'left'],
];

describe('zipTextOf and the held zip path', () => {
  it.each(CASES)('%s: the held path gives what the streaming path gives', async (_label, zip, path) => {
    expect(zipTextOf(zip) !== null, 'taken by zipTextOf').toBe(path === 'fast');
    const streamed = await receive(zip, false, await mkdtemp(join(dir, 'streamed-')));
    const held = await receive(zip, true);
    expect(held.code).toBe(streamed.code);
    expect(held.sha256).toBe(streamed.sha256);
    if (streamed.text) expect(held.text!.equals(streamed.text)).toBe(true);
    // Landed: the text alone; failed on the archive: nothing (both paths discard it).
    expect(held.left.filter((n) => !n.startsWith('streamed-'))).toEqual(streamed.left);
  });

  it('bytes after the end record: both paths land the text (zip-trailing.test.ts: the streaming path used to never settle)', async () => {
    const trailing = Buffer.concat([one, Buffer.from('trailing bytes')]);
    expect(zipTextOf(trailing)?.equals(text)).toBe(true);
    const held = await receive(trailing, true);
    expect(held.sha256).toBe(sha(text));
    expect(held.left).toEqual(['418-8.txt']);
    const streamed = await receive(trailing, false, await mkdtemp(join(dir, 'streamed-')));
    expect(streamed.sha256).toBe(sha(text));
  });

  it('a held zip is unzipped once complete: no raw .part, the text in one write, fsynced before the rename', async () => {
    const events: SyncEvent[] = process.platform === 'linux' ? await recordFsyncs(dir, () => join(dir, '418-8.txt')) : [];
    const writes = vi.spyOn(PartFile.prototype, 'write');
    const sink = await open(true);
    sink.begin({ size: one.length });
    for (let at = 0; at < one.length; at += 16_384) await write(sink, one.subarray(at, at + 16_384));
    expect(await readdir(dir)).toEqual([]); // nothing on disk while it is received
    sink.input.end();
    await new Promise((r) => sink.input.once('finish', r));
    const done = await sink.finish();
    expect(writes).toHaveBeenCalledTimes(1);
    expect(done.sha256).toBe(sha(text));
    expect(done.bytes).toBe(text.length);
    expect(await readdir(dir)).toEqual(['418-8.txt']);
    expect((await readFile(done.rawPath)).equals(text)).toBe(true);
    if (process.platform === 'linux') {
      const { fileSync, dirSync } = durableRename(events, dir, (e) => e.size === text.length);
      expect(fileSync, JSON.stringify(events)).toBeGreaterThanOrEqual(0);
      expect(dirSync, JSON.stringify(events)).toBeGreaterThan(fileSync);
    }
  });

  it('a failed attempt leaves the raw bytes received as the resumable .part, with its meta; the resume completes the text', async () => {
    const cut = Math.floor(one.length / 2);
    const first = await open(true);
    first.begin({ size: one.length, etag: '"z"' });
    for (let at = 0; at < cut; at += 10_000) await write(first, one.subarray(at, Math.min(at + 10_000, cut)));
    await first.close();
    expect((await readdir(dir)).sort()).toEqual(['418-8.zip.part', '418-8.zip.part.meta']);
    expect((await readFile(join(dir, '418-8.zip.part'))).equals(one.subarray(0, cut))).toBe(true);

    const next = await open(true);
    expect(next.startAt).toBe(cut);
    expect(next.kept?.etag).toBe('"z"');
    next.begin();
    await write(next, one.subarray(cut));
    next.input.end();
    await new Promise((r) => next.input.once('finish', r));
    const done = await next.finish();
    expect(done.sha256).toBe(sha(text));
    expect(await readdir(dir)).toEqual(['418-8.txt']);
  });

  it('a zip longer than it said goes to the streaming path from there on, every byte in order', async () => {
    // ~3 MB of incompressible text entry, announced as 1,000 bytes.
    const noise = Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => 32 + ((i * 7919) % 89)));
    const big = buildZip([{ name: '418-8.txt', data: noise, method: 'store' }]);
    const writes = vi.spyOn(PartFile.prototype, 'write');
    const sink = await open(true);
    sink.begin({ size: 1000 });
    for (let at = 0; at < big.length; at += 600_000) await write(sink, big.subarray(at, at + 600_000));
    expect(writes.mock.calls.length).toBeGreaterThan(0); // past the bound: the raw `.part` is written as it comes
    sink.input.end();
    await new Promise((r) => sink.input.once('finish', r));
    const done = await sink.finish();
    expect(done.sha256).toBe(sha(noise));
    expect(await readdir(dir)).toEqual(['418-8.txt']);
  });

  it('a text over WHOLE_ZIP_TEXT_MAX_BYTES is left to the streaming path (written as it is inflated)', async () => {
    const long = Buffer.alloc(WHOLE_ZIP_TEXT_MAX_BYTES + 1, 'a');
    const zip = buildZip([{ name: '418-8.txt', data: long }]);
    expect(zip.length).toBeLessThan(2 * 1024 * 1024); // held while received, then streamed
    expect(zipTextOf(zip)).toBeNull();
    const held = await receive(zip, true);
    expect(held.sha256).toBe(sha(long));
  });

  it('a deflated entry that inflates to more than its header says is left to the streaming path', () => {
    const zip = buildZip([{ name: '418-8.txt', data: text }]);
    const lying = Buffer.from(zip);
    lying.writeUInt32LE(text.length - 1, 22); // uncompressed size in the local header
    expect(zipTextOf(lying)).toBeNull();
    expect(deflateRawSync(text).length).toBe(zip.readUInt32LE(18));
  });
});
