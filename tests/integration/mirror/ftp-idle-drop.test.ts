import { createHash } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { FTP_SERVER_KINDS, generateMirror, startFtpServerOf, type FtpServer, type GeneratedMirror, type MirrorBookSpec } from '../../harness';
import { makeCtx, removeAll, tempDir } from './helpers';

/**
 * A reused control connection the server closed while it sat idle (vsftpd's idle_session_timeout,
 * a restarted server), noticed only when the next batch writes to it: the batch logs in again once,
 * quietly, and every book arrives, rather than every book failing with a lost connection (which
 * the pool would retry one by one). Both ways such a connection ends: reset at once (nothing
 * answered), or vsftpd's `421 Timeout.` answered to the batch's first command, then closed. A
 * second failure is not retried again: the batch rejects (retryable), for the pool to retry. A 421
 * mid-batch (after replies) keeps the books landed and fails every other book once, retryable.
 * The one-book path (a book whose listing gives no size) logs in again once as well.
 */

const SPECS: MirrorBookSpec[] = [
  { ebook: 2000, files: ['-0.txt'], sizeBytes: 20_000 },
  { ebook: 3000, files: ['-0.txt'], sizeBytes: 200_000 },
  { ebook: 5, files: ['-8.txt', '.txt'], sizeBytes: 10_000 },
  { ebook: 77, files: ['-8.zip'], sizeBytes: 30_000 },
];

type Cut = 'reset' | '421';

/** A relay for control connections that can end them, as a server would, at the client's next write. */
interface CuttingRelay {
  hostPort: string;
  /** Control connections opened so far. */
  connections: number;
  /** Control connections open now. */
  readonly open: number;
  /**
   * The open connections end as `cut` at the client's next write (its `nth` next one containing
   * `at`, if given), and the next `fresh` new connections at their first write after the banner.
   */
  cutOnNextWrite(cut: Cut, opts?: { fresh?: number; at?: RegExp; nth?: number }): void;
  stop(): Promise<void>;
}

async function startCuttingRelay(targetPort: number): Promise<CuttingRelay> {
  const open = new Map<Socket, { cut: Cut | null; at: RegExp | null; nth: number }>();
  let freshCuts: { cut: Cut; left: number } | null = null;
  const server: Server = createServer((client) => {
    relay.connections++;
    const state = { cut: null as Cut | null, at: null as RegExp | null, nth: 1 };
    if (freshCuts && freshCuts.left > 0) {
      freshCuts.left--;
      state.cut = freshCuts.cut;
    }
    open.set(client, state);
    const upstream = connect(targetPort, '127.0.0.1');
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (chunk: Buffer) => {
      if (state.cut === null || state.at?.test(chunk.toString('latin1')) === false || --state.nth > 0) return void upstream.write(chunk);
      upstream.destroy();
      if (state.cut === 'reset') client.resetAndDestroy();
      else client.end('421 Timeout.\r\n');
    });
    const end = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const relay: CuttingRelay = {
    hostPort: `127.0.0.1:${port}`,
    connections: 0,
    get open() {
      return open.size;
    },
    cutOnNextWrite(cut, { fresh = 0, at, nth = 1 } = {}) {
      for (const state of open.values()) Object.assign(state, { cut, at: at ?? null, nth });
      freshCuts = { cut, left: fresh };
    },
    stop: () => {
      for (const s of open.keys()) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return relay;
}

/** Book 6000's text is a symlink (no size listed): the batch hands it to the one-book path. */
const LINKED = { ebook: 6000, text: 'A linked book.\n'.repeat(2000) };

let work: string;
let gen: GeneratedMirror;
beforeAll(async () => {
  work = await tempDir('ftp-idle-drop');
  gen = await generateMirror(path.join(work, 'mirror'), SPECS);
  const dir = path.join(gen.root, '6/0/0/6000');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'data'), LINKED.text);
  await symlink('data', path.join(dir, '6000-8.txt'));
});
afterAll(async () => {
  await removeAll(work);
});

describe.each(FTP_SERVER_KINDS)('FTP reused connection closed while idle, %s', (kind) => {
  let ftp: FtpServer;
  let relay: CuttingRelay;
  beforeAll(async () => {
    ftp = await startFtpServerOf(kind, { root: gen.root });
    relay = await startCuttingRelay(ftp.port);
  });
  afterAll(async () => {
    await relay?.stop();
    await ftp?.stop();
  });

  // pure-ftpd is known lock-step: no probe, whose outcome (and the connection it may cost) depends on timing.
  const mirrorOptions = { vsftpd: {}, 'pure-ftpd': { ftp: { lockStep: true } }, proftpd: {} }[kind];
  const expectWhole = (results: Array<FetchedBook | FanoutError>, ebooks: number[]) => {
    for (const [i, r] of results.entries()) {
      expect(r, `ebook ${ebooks[i]}`).not.toBeInstanceOf(FanoutError);
      expect((r as FetchedBook).sha256, `ebook ${ebooks[i]}`).toBe(gen.books.get(ebooks[i]!)!.files[0]!.textSha256);
    }
  };

  it.each(['reset', '421'] as const)('cut as %s: the next batch logs in again once and every book arrives', async (cut) => {
    const mirror = openMirror(ftp.urlVia(relay.hostPort), { timeoutMs: 5000, ...mirrorOptions });
    try {
      const s = mirror.openSession(0);
      const rawDir = path.join(work, `raw-${kind}-${cut}`);
      const first = [2000, 5];
      expectWhole(await s.fetchBooks(first, { rawDir, ctx: makeCtx(), onFetched: async () => {} }), first);
      expect(relay.open, 'the session kept its connection').toBe(1);
      relay.cutOnNextWrite(cut);
      const before = relay.connections;
      const landed: number[] = [];
      const second = [3000, 77];
      const results = await s.fetchBooks(second, {
        rawDir,
        ctx: makeCtx(),
        onFetched: async (b) => void landed.push(b.ebook),
      });
      expectWhole(results, second);
      expect(landed.sort()).toEqual([...second].sort());
      expect(relay.connections - before).toBe(1);
    } finally {
      await mirror.close();
    }
  });

  it('the fresh login failing too: the batch rejects, retryable, after one new connection', async () => {
    const mirror = openMirror(ftp.urlVia(relay.hostPort), { timeoutMs: 5000, ...mirrorOptions });
    try {
      const s = mirror.openSession(0);
      const rawDir = path.join(work, `raw-${kind}-twice`);
      expectWhole(await s.fetchBooks([2000], { rawDir, ctx: makeCtx(), onFetched: async () => {} }), [2000]);
      expect(relay.open, 'the session kept its connection').toBe(1);
      relay.cutOnNextWrite('reset', { fresh: 1 });
      const before = relay.connections;
      const err = await s.fetchBooks([3000, 77], { rawDir, ctx: makeCtx(), onFetched: async () => {} }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FanoutError);
      expect((err as FanoutError).retryable).toBe(true);
      expect(relay.connections - before).toBe(1);
    } finally {
      relay.cutOnNextWrite('reset');
      await mirror.close();
    }
  });

  it('a 421 mid-batch: the books landed stay whole, every other book fails once, retryable; the next call gets them', async () => {
    const mirror = openMirror(ftp.urlVia(relay.hostPort), { timeoutMs: 5000, ...mirrorOptions });
    try {
      const s = mirror.openSession(0);
      const rawDir = path.join(work, `raw-${kind}-mid`);
      expectWhole(await s.fetchBooks([2000], { rawDir: path.join(work, `raw-${kind}-mid-first`), ctx: makeCtx(), onFetched: async () => {} }), [2000]);
      expect(relay.open, 'the session kept its connection').toBe(1);
      // The 421 answers the write that asks for 5-8.txt, sent once 5's listing came (no 5-0.txt to guess).
      relay.cutOnNextWrite('421', { at: /RETR \S*\/5-8\.txt/ });
      const books = [2000, 3000, 5, 77];
      const landed: number[] = [];
      const results = await s.fetchBooks(books, { rawDir, ctx: makeCtx(), onFetched: async (b) => void landed.push(b.ebook) });
      const ok = books.filter((_, i) => !(results[i] instanceof FanoutError));
      expect(landed.sort()).toEqual([...ok].sort());
      for (const [i, r] of results.entries()) {
        if (r instanceof FanoutError) {
          expect(r.retryable, `${books[i]}: ${r.code} ${r.message}`).toBe(true);
          expect(r.context.ebook).toBe(books[i]);
        } else expectWhole([r], [books[i]!]);
      }
      expect(ok).not.toContain(5);
      expect(ok).not.toContain(77);
      const failed = books.filter((e) => !ok.includes(e));
      expectWhole(await s.fetchBooks(failed, { rawDir, ctx: makeCtx(), onFetched: async () => {} }), failed);
    } finally {
      await mirror.close();
    }
  });

  it('the one-book path (a symlinked book) on a reused connection answered 421: logs in again once', async () => {
    const mirror = openMirror(ftp.urlVia(relay.hostPort), { timeoutMs: 5000, ...mirrorOptions });
    try {
      const s = mirror.openSession(0);
      const rawDir = path.join(work, `raw-${kind}-linked`);
      expectWhole(await s.fetchBooks([2000], { rawDir, ctx: makeCtx(), onFetched: async () => {} }), [2000]);
      expect(relay.open, 'the session kept its connection').toBe(1);
      // The batch's STAT passes; the one-book path's own (its second) gets the 421.
      relay.cutOnNextWrite('421', { at: /^STAT /, nth: 2 });
      const before = relay.connections;
      const [r] = await s.fetchBooks([LINKED.ebook], { rawDir, ctx: makeCtx(), onFetched: async () => {} });
      expect(r).not.toBeInstanceOf(FanoutError);
      expect((r as FetchedBook).sha256).toBe(createHash('sha256').update(LINKED.text).digest('hex'));
      expect(relay.connections - before).toBe(1);
    } finally {
      await mirror.close();
    }
  });
});
