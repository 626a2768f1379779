import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type FetchedBook, type Mirror, type MirrorSession } from '../../../electron/engine/mirror';
import { HttpSession } from '../../../electron/engine/mirror/http-session';
import { generateMirror, sha256, slowBooks, startFtpServer, startHttpServer, startTcpProxy, type FtpServer, type GeneratedMirror, type HttpServer, type MirrorBookSpec } from '../../harness';
import { count, FORM_BOOKS, listFiles, makeCtx, removeAll, startGateRelay, tempDir } from './helpers';

/** Every form a book may have, books missing altogether, and small fillers (for cuts at known offsets). */
const SPECS: MirrorBookSpec[] = [
  ...FORM_BOOKS,
  { ebook: 78, files: ['.zip'], sizeBytes: 8_000, extraZipEntries: [{ name: '../evil.txt', data: Buffer.from('pwned') }] },
  { ebook: 900, files: [] },
  { ebook: 901, files: ['cache'], sizeBytes: 9_000 },
  { ebook: 3000, files: ['-0.txt'], sizeBytes: 2_300_000 }, // over 2 MiB: an FTP part records MDTM, resumable
  ...Array.from({ length: 10 }, (_, i): MirrorBookSpec => ({ ebook: 2000 + i, files: ['-0.txt'], sizeBytes: 20_000 })),
];
const MIXED = [418, 5, 900, 12345, 77, 78, 901, 3000, 2000];
const FILLERS = Array.from({ length: 10 }, (_, i) => 2000 + i);

let work: string;
let gen: GeneratedMirror;
let ftp: FtpServer;
let http: HttpServer;

beforeAll(async () => {
  work = await tempDir('pipelined');
  gen = await generateMirror(path.join(work, 'mirror'), SPECS);
  [ftp, http] = await Promise.all([startFtpServer({ root: gen.root }), startHttpServer({ root: gen.root })]);
});

afterAll(async () => {
  await Promise.allSettled([ftp?.stop(), http?.stop()]);
  await removeAll(work);
});

beforeEach(() => http.hooks.clear());

type Protocol = 'ftp' | 'http';
const urlOf = (protocol: Protocol, hostPort?: string) => (hostPort ? `${protocol}://${hostPort}` : protocol === 'ftp' ? ftp.url : http.url);
/** The port a relay or proxy in front of the server forwards to. */
const portOf = (protocol: Protocol) => (protocol === 'ftp' ? ftp.port : http.port);

/** The file the mirror should give for `ebook` (its preferred form), or null when the protocol finds none. */
function expected(ebook: number, protocol: Protocol) {
  const files = gen.books.get(ebook)!.files;
  const usable = protocol === 'ftp' ? files.filter((f) => f.form !== 'cache') : files;
  return usable[0] ?? null;
}

async function expectBookExact(r: FetchedBook | FanoutError | undefined, ebook: number, protocol: Protocol): Promise<void> {
  const want = expected(ebook, protocol)!;
  expect(r, `ebook ${ebook}`).not.toBeInstanceOf(FanoutError);
  const got = r as FetchedBook;
  expect(got.ebook).toBe(ebook);
  expect(got.remoteName).toBe(want.relPath.split('/').pop());
  expect(got.sha256).toBe(want.textSha256);
  expect(sha256(await readFile(got.rawPath))).toBe(want.textSha256);
}

/** fetchBooks recording what onFetched saw. */
async function fetchAll(s: MirrorSession, ebooks: number[], rawDir: string, onEach?: (b: FetchedBook, n: number) => void, signal?: AbortSignal) {
  const landed: number[] = [];
  const results = await s.fetchBooks(ebooks, {
    rawDir,
    ctx: makeCtx(signal),
    onFetched: async (b) => {
      landed.push(b.ebook);
      onEach?.(b, landed.length);
    },
  });
  return { results, landed };
}

describe.each(['ftp', 'http'] as const)('fetchBooks over %s', (protocol) => {
  it('gives per-book results in order, byte-exact, for every form, with missing books failing alone', async () => {
    const mirror = openMirror(urlOf(protocol), { timeoutMs: 5000 });
    const s = mirror.openSession(0);
    const raw = path.join(work, `${protocol}-mixed`);
    try {
      const { results, landed } = await fetchAll(s, MIXED, raw);
      expect(results).toHaveLength(MIXED.length);
      for (const [i, ebook] of MIXED.entries()) {
        const r = results[i];
        if (expected(ebook, protocol) === null) {
          expect(r).toBeInstanceOf(FanoutError);
          expect((r as FanoutError).code).toBe('BOOK_NOT_FOUND');
          expect((r as FanoutError).retryable).toBe(false);
          expect((r as FanoutError).context).toMatchObject({ ebook, host: '127.0.0.1' });
        } else {
          await expectBookExact(r, ebook, protocol);
        }
      }
      // onFetched: once for each book that landed, none for the failures.
      const ok = results.filter((r): r is FetchedBook => !(r instanceof FanoutError)).map((r) => r.ebook);
      expect([...landed].sort()).toEqual([...ok].sort());
      // Nothing but the texts: no parts left, and the zip's hostile entry went nowhere.
      expect(await listFiles(raw)).toEqual(ok.map((e) => (results.find((r) => !(r instanceof FanoutError) && r.ebook === e) as FetchedBook).rawPath.split('/').pop()).sort());
    } finally {
      await mirror.close();
    }
  });

  it('uses one connection (one login) for the batch and sends its requests before the replies come back', async () => {
    const k = FILLERS.length;
    // FTP: every STAT goes out before the first listing comes back; HTTP: the GETs go out before the first response.
    const verb = protocol === 'ftp' ? 'STAT ' : 'GET ';
    // HTTP: the job's first request goes alone (its response says whether the server keeps the
    // connection alive; pipelining to one that closes loses what was queued), the rest are pipelined.
    const first = protocol === 'ftp' ? 1 : 2;
    const relay = await startGateRelay({ targetPort: portOf(protocol), from: (t) => count(t, verb) >= first, until: (t) => count(t, verb) >= k });
    const mirror = openMirror(urlOf(protocol, relay.hostPort), { timeoutMs: 10_000 });
    const s = mirror.openSession(0);
    const httpBefore = { requests: http.requests.length, connections: http.connections() };
    try {
      const { results } = await fetchAll(s, FILLERS, path.join(work, `${protocol}-gate`));
      for (const [i, ebook] of FILLERS.entries()) await expectBookExact(results[i], ebook, protocol);
      expect(relay.connections).toBe(1);
      expect(relay.timedOut).toBe(0);
      expect(relay.opened).toBe(1);
      const sent = relay.sent[0]!;
      if (protocol === 'ftp') {
        // Per book exactly: one STAT (all in one go), one MDTM, one EPSV, one RETR; no LIST, SIZE, PASV or TYPE per book.
        expect(count(sent, 'STAT ')).toBe(k);
        expect(count(sent, 'EPSV\r\n')).toBe(k);
        expect(count(sent, 'RETR ')).toBe(k);
        expect(sent).not.toMatch(/^(LIST|NLST|SIZE|PASV)/m);
        // MDTM in each transfer's write (the guessed `N-0.txt` of the first write included): the time a cut part's meta records.
        expect(count(sent, 'MDTM ')).toBe(k);
        expect(count(sent, 'USER ')).toBe(1);
      } else {
        expect(count(sent, 'GET ')).toBe(k); // every book has N-0.txt: one request each
        const mine = http.requests.slice(httpBefore.requests);
        expect(mine).toHaveLength(k);
        expect(new Set(mine.map((r) => r.connection)).size).toBe(1);
        expect(http.connections() - httpBefore.connections).toBe(1);
        const stats = (s as HttpSession).stats;
        expect(stats.connections).toBe(1);
        expect(stats.maxInFlight).toBeGreaterThan(1);
      }
    } finally {
      await mirror.close();
      await relay.stop();
    }
  });

  it('a cut connection mid-batch: earlier books stay done, the rest are retryable; the next call recovers', async () => {
    // HTTP: the connection dies 50,000 bytes in (two 20 KB books and their headers pass, the third is
    // cut). FTP: every connection (control and data) is cut once the second book has landed; the later
    // books' first bytes are held 3 s, so they are still on the wire then however slowly books land
    // (under load every transfer had ended before the second book landed: nothing was cut).
    const later = slowBooks(FILLERS.slice(2), { firstByteDelayMs: 3000 });
    const proxy = await startTcpProxy({ targetPort: portOf(protocol), ftp: protocol === 'ftp', ...(protocol === 'http' ? { dropAfterBytes: 50_000 } : { slow: later }) });
    const mirror = openMirror(urlOf(protocol, proxy.hostPort), { timeoutMs: 5000 });
    const s = mirror.openSession(0);
    const raw = path.join(work, `${protocol}-cut`);
    try {
      const { results, landed } = await fetchAll(s, FILLERS, raw, (_b, n) => {
        if (protocol === 'ftp' && n === 2) proxy.cutAll();
      });
      // Books are transferred in batch order: the first two are done.
      expect(landed.length).toBeGreaterThanOrEqual(2);
      await expectBookExact(results[0], FILLERS[0]!, protocol);
      await expectBookExact(results[1], FILLERS[1]!, protocol);
      const failed = FILLERS.filter((_, i) => results[i] instanceof FanoutError);
      if (protocol === 'http') expect(failed).toEqual(FILLERS.slice(2));
      // FTP: at most the books already queued at the server (4) can land between the second and the cut.
      else expect(failed.length).toBeGreaterThanOrEqual(FILLERS.length - 2 - 4);
      for (const [i, ebook] of FILLERS.entries()) {
        const r = results[i];
        if (r instanceof FanoutError) {
          expect(r.retryable, `${ebook}: ${r.code} ${r.message}`).toBe(true);
          expect(r.context.ebook).toBe(ebook);
        } else {
          await expectBookExact(r, ebook, protocol);
        }
      }
      // Later books failed only after earlier ones landed (order kept).
      const firstFailed = results.findIndex((r) => r instanceof FanoutError);
      expect(results.slice(firstFailed).every((r) => r instanceof FanoutError)).toBe(true);
      // The session reconnects by itself and fetches what failed.
      const again = await fetchAll(s, failed, raw);
      for (const [i, ebook] of failed.entries()) await expectBookExact(again.results[i], ebook, protocol);
      expect(proxy.stats.connections).toBe(2);
      expect((await listFiles(raw)).filter((f) => f.includes('.part'))).toEqual([]);
    } finally {
      await mirror.close();
      await proxy.stop();
    }
  });

  it('a book whose transfer fails does not fail the others, and resumes alone afterwards', async () => {
    // FTP: the first data connection is cut after 5,000 bytes; HTTP: the third book's body is cut
    // 250,000 bytes in (undici drops what it had buffered but not handed over when a body fails).
    const proxy = await startTcpProxy({ targetPort: portOf(protocol), ftp: protocol === 'ftp', ...(protocol === 'ftp' ? { dropAfterBytes: 5_000, dropOn: 'data' as const } : {}) });
    if (protocol === 'http') http.hooks.cutBody('/3/0/0/3000/3000-0.txt', 250_000);
    const mirror = openMirror(urlOf(protocol, proxy.hostPort), { timeoutMs: 5000 });
    const s = mirror.openSession(0);
    const raw = path.join(work, `${protocol}-one-fails`);
    const batch = [2000, 2001, 3000, 2002, 2003, 2004];
    const victim = protocol === 'ftp' ? 2000 : 3000;
    try {
      const { results } = await fetchAll(s, batch, raw);
      for (const [i, ebook] of batch.entries()) {
        const r = results[i];
        if (ebook === victim) {
          expect(r).toBeInstanceOf(FanoutError);
          expect((r as FanoutError).retryable).toBe(true);
        } else if (protocol === 'ftp') {
          await expectBookExact(r, ebook, protocol);
        } else if (r instanceof FanoutError) {
          // HTTP: the cut takes the connection down with the book; what was behind it is retryable.
          expect(r.retryable).toBe(true);
        } else {
          await expectBookExact(r, ebook, protocol);
        }
      }
      expect(await listFiles(raw)).toContain(`${victim}-0.txt.part`);
      const retried = await s.fetchBook(victim, { rawDir: raw, ctx: makeCtx() });
      expect(retried.resumedFrom).toBeGreaterThan(0);
      await expectBookExact(retried, victim, protocol);
    } finally {
      await mirror.close();
      await proxy.stop();
    }
  });

  it('honours the abort signal mid-batch (ABORTED) and works afterwards', async () => {
    const proxy = await startTcpProxy({ targetPort: portOf(protocol), ftp: protocol === 'ftp', delayMs: 20 });
    const mirror = openMirror(urlOf(protocol, proxy.hostPort), { timeoutMs: 5000 });
    const s = mirror.openSession(0);
    const raw = path.join(work, `${protocol}-abort`);
    // HTTP: the last book's response holds back its body, so the cancel always finds a book still
    // to come (under load all ten could otherwise land before the first one's callback, and a
    // cancel that stops nothing hands the books back instead of ABORTED).
    if (protocol === 'http') http.hooks.stallBody(`/2/0/0/2009/2009-0.txt`, 100);
    try {
      const ac = new AbortController();
      const err = await fetchAll(s, FILLERS, raw, (_b, n) => n === 1 && ac.abort(), ac.signal).catch((e: unknown) => e);
      if (protocol === 'http') http.hooks.releaseStalls();
      expect(err).toBeInstanceOf(FanoutError);
      expect((err as FanoutError).code).toBe('ABORTED');
      proxy.setDelay(0);
      const { results } = await fetchAll(s, FILLERS.slice(0, 3), raw);
      for (const [i, ebook] of FILLERS.slice(0, 3).entries()) await expectBookExact(results[i], ebook, protocol);
    } finally {
      if (protocol === 'http') http.hooks.releaseStalls();
      await mirror.close();
      await proxy.stop();
    }
  });
});

describe('fetchBooks over http: statuses concern their book only', () => {
  it('a 503 or 403 fails that book alone (retryable or not), on the same connection', async () => {
    const mirror = openMirror(http.url, { timeoutMs: 5000 });
    const s = mirror.openSession(0);
    const c0 = http.connections();
    http.hooks.failNext('/2/0/0/2001/2001-0.txt', 1, 503);
    http.hooks.failNext('/2/0/0/2003/2003-0.txt', 1, 403);
    try {
      const batch = FILLERS.slice(0, 5);
      const { results, landed } = await fetchAll(s, batch, path.join(work, 'http-statuses'));
      expect(results[1]).toMatchObject({ code: 'HTTP_TRANSIENT', retryable: true, context: { ebook: 2001 } });
      expect(results[3]).toMatchObject({ code: 'HTTP_PERMANENT', retryable: false, context: { ebook: 2003 } });
      for (const i of [0, 2, 4]) await expectBookExact(results[i], batch[i]!, 'http');
      // Books land (fsync, rename) side by side, up to 4 at once: in whichever order their fsyncs end.
      expect([...landed].sort()).toEqual([2000, 2002, 2004]);
      expect(http.connections() - c0).toBe(1);
    } finally {
      await mirror.close();
    }
  });
});

describe('fetchBooks over ftp: the next book is queued at the server before the current transfer ends', () => {
  it('probes the server with one NOOP during the first transfer, then sends the next RETRs before any reply to the current one', async () => {
    // What the client wrote after its probe (nothing before it may be written during a transfer).
    const afterProbe = (t: string) => (t.includes('NOOP\r\n') ? t.slice(t.indexOf('NOOP\r\n')) : '');
    const relay = await startGateRelay({ targetPort: ftp.port, from: (t) => afterProbe(t).includes('RETR '), until: (t) => count(afterProbe(t), 'RETR ') >= 2 });
    const mirror: Mirror = openMirror(`ftp://${relay.hostPort}`, { timeoutMs: 10_000 });
    try {
      const books = FILLERS.slice(0, 5);
      const { results } = await fetchAll(mirror.openSession(0), books, path.join(work, 'ftp-retr-gate'));
      for (const [i, ebook] of books.entries()) await expectBookExact(results[i], ebook, 'ftp');
      expect(relay.timedOut).toBe(0);
      expect(relay.opened).toBe(1);
      // The listings and the first transfer while nothing runs; the probe during that transfer;
      // once it is answered in order, EPSV + RETR of the next books queued ahead of the transfers.
      const cmds = relay.sent[0]!.split('\r\n').filter((l) => /^(STAT|EPSV|RETR|REST|NOOP)/.test(l)).map((l) => l.split(' ')[0]);
      expect(cmds).toEqual(['STAT', 'STAT', 'STAT', 'STAT', 'STAT', 'EPSV', 'RETR', 'NOOP', 'EPSV', 'RETR', 'EPSV', 'RETR', 'EPSV', 'RETR', 'EPSV', 'RETR']);
    } finally {
      await mirror.close();
      await relay.stop();
    }
  });

  it('resumes a kept .part with REST inside a batch', async () => {
    const raw = path.join(work, 'ftp-batch-rest');
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true, dropAfterBytes: 100_000, dropOn: 'data' });
    const m1 = openMirror(`ftp://${proxy.hostPort}`, { timeoutMs: 5000 });
    try {
      await m1.openSession(0).fetchBook(3000, { rawDir: raw, ctx: makeCtx() }).catch(() => {});
      expect(await listFiles(raw)).toContain('3000-0.txt.part');
    } finally {
      await m1.close();
      await proxy.stop();
    }
    const m2 = openMirror(ftp.url, { timeoutMs: 5000 });
    try {
      const { results } = await fetchAll(m2.openSession(0), [2000, 3000, 2001], raw);
      await expectBookExact(results[0], 2000, 'ftp');
      await expectBookExact(results[1], 3000, 'ftp');
      await expectBookExact(results[2], 2001, 'ftp');
      expect((results[1] as FetchedBook).resumedFrom).toBeGreaterThan(0);
      expect((results[1] as FetchedBook).resumedFrom + (results[1] as FetchedBook).transferredBytes).toBe(expected(3000, 'ftp')!.bytes);
    } finally {
      await m2.close();
    }
  });
});
