/**
 * HTTP interop with nginx and Apache configured the way real mirrors sometimes are: a keep-alive
 * request limit met mid-pipeline, compression applied by the server (Apache `SetOutputFilter
 * DEFLATE` with `force-gzip` compresses whatever the client asks; nginx `gzip on` only when asked),
 * redirects (same host, another host, a loop), a kept `.part` answered 416 (already whole, or longer
 * than the file), a body with no Content-Length (chunked) cut at a chunk boundary, and a cut transfer
 * resumed with the file changed or not. Every book byte-exact on disk, or failed retryably: never a
 * file that is not the server's.
 */
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror } from '../../../electron/engine/mirror';
import { bookDir } from '../../../electron/engine/mirror/mirror-layout';
import type { FetchedBook } from '../../../electron/engine/mirror/types';
import { buildZip, startApacheServer, startHttpServer, startNginxServer, startTcpProxy } from '../../harness';
import { filesMirror, listFiles, makeCtx, removeAll, sha256, tempDir } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('http-interop-servers');
});
afterAll(async () => {
  await removeAll(work);
});

const EBOOKS = Array.from({ length: 10 }, (_, i) => 3000 + i);
/** Enough books that a connection meets the server's request limit with a full pipeline behind it. */
const MANY = Array.from({ length: 40 }, (_, i) => 3000 + i);
const rel = (ebook: number, suffix = '-0.txt') => `${bookDir(ebook)}/${ebook}${suffix}`;
/**
 * Texts of different sizes (the zeroth small enough to be held, the others larger), in lines that
 * do not repeat: compressed they stay large (a compressing server sends them in many chunks).
 */
const texts = new Map<number, Buffer>();
function text(ebook: number): Buffer {
  let t = texts.get(ebook);
  if (!t) {
    const size = 20_000 + ((ebook - 3000) % 10) * 37_000;
    const lines: string[] = [];
    for (let i = 0, n = 0; n < size; i++, n += 65) lines.push(sha256(Buffer.from(`${ebook}:${i}`)));
    t = Buffer.from(lines.join('\n') + '\n').subarray(0, size);
    texts.set(ebook, t);
  }
  return t;
}

/** A book with only `N.zip` (its text: book 3000's). */
const ZIP_ONLY = 3100;

async function booksMirror(name: string, extra: Record<string, Buffer> = {}): Promise<string> {
  const files: Record<string, Buffer> = { [rel(ZIP_ONLY, '.zip')]: buildZip([{ name: `${ZIP_ONLY}.txt`, data: text(3000) }]), ...extra };
  for (const e of MANY) files[rel(e)] = text(e);
  return filesMirror(work, name, files);
}

interface Srv {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function expectWhole(r: FetchedBook | FanoutError, ebook: number): void {
  expect(r).not.toBeInstanceOf(FanoutError);
  expect((r as FetchedBook).sha256).toBe(sha256(text(ebook)));
  expect((r as FetchedBook).bytes).toBe(text(ebook).length);
}

async function fetchAll(url: string, raw: string, batches: number[][]): Promise<Array<FetchedBook | FanoutError>> {
  const mirror = openMirror(url, { timeoutMs: 10_000 });
  try {
    const s = mirror.openSession(0);
    const out: Array<FetchedBook | FanoutError> = [];
    for (const b of batches) out.push(...(await s.fetchBooks(b, { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} })));
    await s.close();
    return out;
  } finally {
    await mirror.close();
  }
}

describe.each([
  // `lingering_close always`: with nginx's default (`on`) the requests pipelined past the limit may
  // arrive after it closed, and its kernel resets the connection, discarding responses already
  // sent (the batch's unfinished books CONNECTION_RESET, retryable: 1 run in 6 at limit 20, nearly
  // every run at limit 2): a race, not tested here (see reports/s19/hx1.md).
  ['nginx keepalive_requests 20', (root: string): Promise<Srv> => startNginxServer({ root, httpConfig: 'keepalive_requests 20; lingering_close always;' })],
  ['Apache MaxKeepAliveRequests 20', (root: string): Promise<Srv> => startApacheServer({ root, maxKeepAliveRequests: 20 })],
])('%s: the server closes after its 20th response, mid-pipeline', (label, start) => {
  it('every book of pipelined batches lands byte-exact', async () => {
    const root = await booksMirror(`ka-${label.split(' ')[0]}`);
    const srv = await start(root);
    try {
      const raw = path.join(work, `raw-ka-${label.split(' ')[0]}`);
      const res = await fetchAll(srv.url, raw, [[MANY[0]!], MANY.slice(1)]);
      MANY.forEach((e, i) => expectWhole(res[i]!, e));
    } finally {
      await srv.stop();
    }
  });
});

describe.each([
  ['nginx gzip on', (root: string): Promise<Srv> => startNginxServer({ root, httpConfig: 'gzip on; gzip_types text/plain application/octet-stream; gzip_min_length 1; gzip_http_version 1.0;' })],
  ['Apache mod_deflate (force-gzip)', (root: string): Promise<Srv> => startApacheServer({ root, modules: ['filter', 'deflate', 'env'], extraConfig: 'SetOutputFilter DEFLATE\nSetEnv force-gzip 1\n' })],
])('%s: compression applied by the server', (label, start) => {
  it('the bytes on disk are the file\'s (never the compressed stream), sizes reconcile', async () => {
    const root = await booksMirror(`gz-${label.split(' ')[0]}`);
    const srv = await start(root);
    try {
      // nginx compresses only for a client that asks (Fanout does not, for books); Apache with force-gzip always.
      const head = (await rawResponse(srv.port, `/${rel(EBOOKS[3]!)}`)).toString('latin1').split('\r\n\r\n')[0]!;
      expect(/^content-encoding: gzip$/im.test(head)).toBe(label.startsWith('Apache'));
      const raw = path.join(work, `raw-gz-${label.split(' ')[0]}`);
      const res = await fetchAll(srv.url, raw, [[EBOOKS[0]!], EBOOKS.slice(1), [ZIP_ONLY]]);
      for (const [i, e] of EBOOKS.entries()) expectWhole(res[i]!, e);
      // A book with only a zip: found through the folder index (compressed too), its text unzipped.
      const zipped = res[EBOOKS.length]!;
      expect(zipped).not.toBeInstanceOf(FanoutError);
      expect((zipped as FetchedBook).sha256).toBe(sha256(text(3000)));
      for (const name of await listFiles(raw)) {
        const ebook = Number(name.split(/[-.]/)[0]);
        expect(sha256(await readFile(path.join(raw, name)))).toBe(sha256(text(ebook === ZIP_ONLY ? 3000 : ebook)));
      }
      // One file (the catalog's path), asked with and without gzip: the file's bytes.
      const mirror = openMirror(srv.url, { timeoutMs: 10_000 });
      try {
        const s = mirror.openSession(0);
        for (const acceptGzip of [false, true]) {
          const dest = path.join(work, `file-gz-${label.split(' ')[0]}-${acceptGzip}`);
          await s.fetchFile(rel(EBOOKS[4]!), { dest, acceptGzip });
          expect(sha256(await readFile(dest))).toBe(sha256(text(EBOOKS[4]!)));
        }
        await s.close();
      } finally {
        await mirror.close();
      }
    } finally {
      await srv.stop();
    }
  });
});

describe.each(['nginx', 'apache'] as const)('%s: a kept part answered 416', (kind) => {
  const start = (root: string): Promise<Srv> => (kind === 'nginx' ? startNginxServer({ root }) : startApacheServer({ root }));

  async function validators(url: string): Promise<{ etag?: string; lastModified?: string; size: number }> {
    const r = await fetch(url, { method: 'HEAD' });
    return { size: Number(r.headers.get('content-length')), etag: r.headers.get('etag') ?? undefined, lastModified: r.headers.get('last-modified') ?? undefined };
  }

  it('a part already whole lands without a transfer; a part longer than the file is restarted', async () => {
    const root = await booksMirror(`416-${kind}`);
    const srv = await start(root);
    try {
      const raw = path.join(work, `raw-416-${kind}`);
      await mkdir(raw, { recursive: true });
      const [a, b] = [EBOOKS[1]!, EBOOKS[2]!];
      await writeFile(path.join(raw, `${a}-0.txt.part`), text(a));
      await writeFile(path.join(raw, `${a}-0.txt.part.meta`), JSON.stringify(await validators(`${srv.url}/${rel(a)}`)));
      await writeFile(path.join(raw, `${b}-0.txt.part`), Buffer.concat([text(b), Buffer.from('tail that is not the file')]));
      await writeFile(path.join(raw, `${b}-0.txt.part.meta`), JSON.stringify(await validators(`${srv.url}/${rel(b)}`)));
      const res = await fetchAll(srv.url, raw, [[a], [b]]);
      expectWhole(res[0]!, a);
      expectWhole(res[1]!, b);
      expect(await listFiles(raw)).toEqual([`${a}-0.txt`, `${b}-0.txt`]);
    } finally {
      await srv.stop();
    }
  });
});

describe('redirects', () => {
  let other: Awaited<ReturnType<typeof startHttpServer>>;
  let root: string;
  beforeAll(async () => {
    // The moved files: under /moved on the same host, and on another host (Node's server).
    const moved: Record<string, Buffer> = {};
    for (const e of EBOOKS) moved[`moved/${e}-0.txt`] = text(e);
    root = await booksMirror('redirects', moved);
    other = await startHttpServer({ root });
  });
  afterAll(async () => {
    await other?.stop();
  });

  const [same301, same302, same307, away302, away307, loop] = EBOOKS;
  it.each(['nginx', 'apache'] as const)('%s: 301/302/307 on the same host and to another host are followed; a loop fails the book', async (kind) => {
    const lines: Array<[number, number, string]> = [
      [same301!, 301, `/moved/${same301}-0.txt`],
      [same302!, 302, `/moved/${same302}-0.txt`],
      [same307!, 307, `/moved/${same307}-0.txt`],
      [away302!, 302, `${other.url}/moved/${away302}-0.txt`],
      [away307!, 307, `${other.url}/moved/${away307}-0.txt`],
      [loop!, 301, `/${rel(loop!)}`],
    ];
    const srv: Srv =
      kind === 'nginx'
        ? await startNginxServer({ root, serverConfig: lines.map(([e, code, to]) => `location = /${rel(e)} { return ${code} ${to}; }`).join('\n') })
        : await startApacheServer({ root, modules: ['alias'], extraConfig: lines.map(([e, code, to]) => (e === loop ? `RedirectMatch ${code} ^/${rel(e)}$ /${rel(e)}` : `Redirect ${code} /${rel(e)} ${to}`)).join('\n') });
    try {
      const raw = path.join(work, `raw-redir-${kind}`);
      const res = await fetchAll(srv.url, raw, [[EBOOKS[0]!], EBOOKS.slice(1)]);
      for (const [i, e] of EBOOKS.entries()) {
        if (e === loop) {
          expect(res[i]).toBeInstanceOf(FanoutError);
          continue;
        }
        expectWhole(res[i]!, e);
      }
      expect((await listFiles(raw)).filter((n) => n.startsWith(String(loop)))).toEqual([]);
    } finally {
      await srv.stop();
    }
  });
});

/** The response to a plain `GET path` (no Accept-Encoding: as Fanout asks), read to its Content-Length, its last chunk or the server's close. */
async function rawResponse(port: number, urlPath: string): Promise<Buffer> {
  const sock = net.connect(port, '127.0.0.1');
  sock.write(`GET ${urlPath} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: fanout\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const c of sock) {
    chunks.push(c as Buffer);
    const all = Buffer.concat(chunks);
    const end = all.indexOf('\r\n\r\n');
    const length = /^content-length: (\d+)$/im.exec(all.toString('latin1', 0, end))?.[1];
    if (end >= 0 && length !== undefined && all.length >= end + 4 + Number(length)) break;
    if (all.subarray(-7).toString('latin1') === '\r\n0\r\n\r\n') break;
  }
  sock.destroy();
  return Buffer.concat(chunks);
}

/** Offsets in a chunked response (headers included) right after each data chunk's CRLF, the last-chunk excluded. */
function chunkEnds(res: Buffer): number[] {
  let at = res.indexOf('\r\n\r\n') + 4;
  const ends: number[] = [];
  for (;;) {
    const eol = res.indexOf('\r\n', at);
    const size = parseInt(res.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) return ends;
    at = eol + 2 + size + 2;
    ends.push(at);
  }
}

describe.each([
  ['nginx (sub_filter: no Content-Length), keepalive_timeout 0', (root: string): Promise<Srv> => startNginxServer({ root, closeAfterResponse: true, httpConfig: "sub_filter_types text/plain application/octet-stream; sub_filter 'never-in-a-book' 'x'; sub_filter_once off;" })],
  ['nginx (sub_filter: no Content-Length), keep-alive', (root: string): Promise<Srv> => startNginxServer({ root, httpConfig: "sub_filter_types text/plain application/octet-stream; sub_filter 'never-in-a-book' 'x'; sub_filter_once off;" })],
  ['Apache (mod_substitute: no Content-Length), KeepAlive Off', (root: string): Promise<Srv> => startApacheServer({ root, closeAfterResponse: true, modules: ['filter', 'substitute'], extraConfig: 'AddOutputFilterByType SUBSTITUTE text/plain\nSubstitute "s/never-in-a-book/x/"\n' })],
  ['Apache (mod_deflate force-gzip), KeepAlive Off', (root: string): Promise<Srv> => startApacheServer({ root, closeAfterResponse: true, modules: ['filter', 'deflate', 'env'], extraConfig: 'SetOutputFilter DEFLATE\nSetEnv force-gzip 1\n' })],
])('%s: a chunked body cut at a chunk boundary', (label, start) => {
  it('is never landed as whole; the next attempt fetches the file byte-exact', async () => {
    const name = label.replace(/[^a-z]+/gi, '-');
    const ebook = EBOOKS[6]!;
    const root = await booksMirror(`chunk-${name}`);
    const srv = await start(root);
    const proxy = await startTcpProxy({ targetPort: srv.port });
    try {
      const whole = await rawResponse(srv.port, `/${rel(ebook)}`);
      expect(whole.toString("latin1", 0, whole.indexOf("\r\n\r\n")).replace(/^(Date|Server|Last-Modified|ETag|Accept-Ranges|Content-Type): .*\r\n/gim, "")).toMatch(/transfer-encoding: chunked/i);
      const ends = chunkEnds(whole);
      expect(ends.length).toBeGreaterThan(1);
      // Cut right after a chunk in the middle: what came is framed whole, only the last-chunk is missing.
      proxy.setDrop({ afterBytes: ends[Math.floor((ends.length - 1) / 2)]!, times: 1 });
      const raw = path.join(work, `raw-chunk-${name}`);
      const mirror = openMirror(`http://${proxy.hostPort}`, { timeoutMs: 10_000 });
      try {
        const s = mirror.openSession(0);
        const first = await s.fetchBook(ebook, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
        expect(proxy.stats.dropped).toBe(1);
        expect(first).toBeInstanceOf(FanoutError);
        expect((first as FanoutError).retryable).toBe(true);
        expect(await listFiles(raw)).not.toContain(`${ebook}-0.txt`);
        const again = await s.fetchBook(ebook, { rawDir: raw, ctx: makeCtx() });
        expectWhole(again, ebook);
        await s.close();
      } finally {
        await mirror.close();
      }
    } finally {
      await proxy.stop();
      await srv.stop();
    }
  });
});

describe.each(['nginx', 'apache'] as const)('%s: a cut transfer resumed, the file changed or not meanwhile', (kind) => {
  it.each([false, true])('changed %s: resumed (206 onto the part) only when unchanged, else the new file whole (If-Range answered 200)', async (changed) => {
    const ebook = EBOOKS[9]!;
    const root = await booksMirror(`resume-${kind}-${changed}`);
    const file = path.join(root, rel(ebook));
    const srv = kind === 'nginx' ? await startNginxServer({ root }) : await startApacheServer({ root });
    const proxy = await startTcpProxy({ targetPort: srv.port, dropAfterBytes: 100_000 });
    const mirror = openMirror(`http://${proxy.hostPort}`, { timeoutMs: 10_000 });
    try {
      const raw = path.join(work, `raw-resume-${kind}-${changed}`);
      const s = mirror.openSession(0);
      const first = await s.fetchBook(ebook, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(FanoutError);
      expect(await listFiles(raw)).toEqual([`${ebook}-0.txt.part`, `${ebook}-0.txt.part.meta`]);
      // Same size, other bytes, another modification time (half an hour old: a strong Last-Modified).
      const now = changed ? Buffer.from(text(ebook).toString('latin1').replace(/[0-9]/g, 'x'), 'latin1') : text(ebook);
      if (changed) {
        await writeFile(file, now);
        const t = new Date(Date.now() - 1_800_000);
        await utimes(file, t, t);
      }
      const again = await s.fetchBook(ebook, { rawDir: raw, ctx: makeCtx() });
      expect(again.sha256).toBe(sha256(now));
      expect(again.bytes).toBe(now.length);
      if (changed) expect(again.resumedFrom).toBe(0);
      else expect(again.resumedFrom).toBeGreaterThan(0);
      expect(await listFiles(raw)).toEqual([`${ebook}-0.txt`]);
      await s.close();
    } finally {
      await mirror.close();
      await proxy.stop();
      await srv.stop();
    }
  });
});

it('Apache mod_deflate (force-gzip): a compressed transfer cut is never landed, and comes whole again (a range of it is not the file\'s bytes)', async () => {
  const ebook = EBOOKS[9]!;
  const root = await booksMirror('resume-gzip');
  const srv = await startApacheServer({ root, modules: ['filter', 'deflate', 'env'], extraConfig: 'SetOutputFilter DEFLATE\nSetEnv force-gzip 1\n' });
  const proxy = await startTcpProxy({ targetPort: srv.port, dropAfterBytes: 100_000 });
  const mirror = openMirror(`http://${proxy.hostPort}`, { timeoutMs: 10_000 });
  try {
    const raw = path.join(work, 'raw-resume-gzip');
    const s = mirror.openSession(0);
    const first = await s.fetchBook(ebook, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(FanoutError);
    expect((first as FanoutError).retryable).toBe(true);
    // The decoded bytes kept, but nothing recorded to resume them with.
    expect(await listFiles(raw)).toEqual([`${ebook}-0.txt.part`]);
    const again = await s.fetchBook(ebook, { rawDir: raw, ctx: makeCtx() });
    expect(again).toMatchObject({ resumedFrom: 0, bytes: text(ebook).length, sha256: sha256(text(ebook)) });
    expect(await listFiles(raw)).toEqual([`${ebook}-0.txt`]);
    await s.close();
  } finally {
    await mirror.close();
    await proxy.stop();
    await srv.stop();
  }
});
