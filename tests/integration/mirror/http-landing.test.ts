import { readlinkSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import type { FetchedBook } from '../../../electron/engine/mirror';
import { HttpSession } from '../../../electron/engine/mirror/http-session';
import { tlsTrust } from '../../../electron/engine/mirror/tls-trust';
import { generateMirror, sha256, startHttpServer, type GeneratedMirror, type HttpServer } from '../../harness';
import { makeCtx, removeAll, tempDir } from './helpers';

/**
 * A book's fsync and rename run beside the next response of its batch (http-pipeline.ts, `land`):
 * a slow disk no longer holds the connection. Book 418 has every form, so a folder index read while
 * its `-0.txt` is still landing names others it must not fetch.
 */
let work: string;
let gen: GeneratedMirror;
let http: HttpServer;
const FILLERS = [2000, 2001, 2002];

beforeAll(async () => {
  work = await tempDir('http-landing');
  gen = await generateMirror(path.join(work, 'mirror'), [
    { ebook: 418, files: ['-0.txt', '-8.txt', '.txt', '-0.zip'], sizeBytes: 40_000 },
    ...FILLERS.map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 20_000 })),
  ]);
  http = await startHttpServer({ root: gen.root });
});

afterAll(async () => {
  await http?.stop();
  await removeAll(work);
});

afterEach(() => vi.restoreAllMocks());

/**
 * Holds the fsync of the file whose path ends with `held` until a file ending with `releaser` is
 * fsynced (or `boundMs` passed): `overlapped` says whether that happened while it was held.
 */
async function holdFsync(held: string, releaser: string, boundMs: number): Promise<{ overlapped: () => boolean }> {
  const probePath = path.join(work, '.probe');
  const probe = await open(probePath, 'w');
  type Handle = { fd: number; sync(): Promise<void> };
  const proto = Object.getPrototypeOf(probe) as Handle;
  await probe.close();
  await rm(probePath);
  const realSync = proto.sync;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let overlapped = false;
  let holding = false;
  vi.spyOn(proto, 'sync').mockImplementation(async function (this: Handle) {
    const file = readlinkSync(`/proc/self/fd/${this.fd}`);
    if (file.endsWith(held)) {
      holding = true;
      const bound = setTimeout(release, boundMs);
      await released;
      clearTimeout(bound);
      holding = false;
    } else if (file.endsWith(releaser)) {
      if (holding) overlapped = true;
      release();
    }
    return realSync.call(this);
  });
  return { overlapped: () => overlapped };
}

it('lands a book while the batch reads on, and a folder index read meanwhile fetches no other form', async () => {
  const gate = await holdFsync('418-0.txt.part', '2000-0.txt.part', 5_000);
  const s = new HttpSession(
    {
      base: http.url,
      host: '127.0.0.1',
      timeoutMs: 10_000,
      tls: tlsTrust(undefined),
      stall: { ms: 10_000, minBytes: 1 },
      server: { keepAlive: 'yes' },
      speculateIndex: true, // the index of 418 comes right behind its -0.txt, while that one lands
    },
    0,
  );
  const before = http.requests.length;
  const landedOrder: number[] = [];
  const ebooks = [418, ...FILLERS];
  let results: Array<FetchedBook | FanoutError>;
  try {
    results = await s.fetchBooks(ebooks, {
      rawDir: path.join(work, 'raw'),
      ctx: makeCtx(),
      onFetched: async (b) => {
        landedOrder.push(b.ebook);
      },
    });
  } finally {
    await s.close();
  }
  // The next book was made durable while 418's fsync was held: its connection went on.
  expect(gate.overlapped()).toBe(true);
  expect([...landedOrder].sort()).toEqual([...ebooks].sort());
  for (const [i, ebook] of ebooks.entries()) {
    const r = results[i]!;
    expect(r, `ebook ${ebook}`).not.toBeInstanceOf(FanoutError);
    const want = gen.books.get(ebook)!.files[0]!;
    expect((r as FetchedBook).remoteName).toBe(want.relPath.split('/').pop());
    expect(sha256(await readFile((r as FetchedBook).rawPath))).toBe(want.textSha256);
  }
  // 418: its -0.txt and its (speculative) index, nothing else of its folder.
  const of418 = http.requests.slice(before).filter((r) => r.path.includes('/418/'));
  expect(of418.map((r) => r.path).sort()).toEqual(['/4/1/418/', '/4/1/418/418-0.txt']);
});
