import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { generateMirror, startPureFtpd, type FtpServer, type GeneratedMirror } from '../../harness';
import { listFiles, makeCtx, removeAll, startOrderRelay, tempDir } from './helpers';

/**
 * pure-ftpd reads the control connection during a transfer and answers what it read with one
 * `500 Unknown command`, ahead of the transfer's `226`. The job's probe (one NOOP written at the
 * first transfer's `150`) passes anyway when that transfer was written whole before the NOOP came
 * (a small first book: it fits in the socket buffers), and the server is then taken as `pipelined`.
 * Is that a splice risk or only a redo? Here the order is made certain: the NOOP reaches the server
 * only after the first `226` (the probe passes), and the commands written after the second transfer
 * reach it only while the third runs (a relay holds the client's bytes; pure-ftpd is throttled to
 * 400 KB/s and that third book is of 1.5 MB: its transfer lasts ~4 s). Commands written as one block while the server is idle are read
 * into pure-ftpd's own buffer before the next transfer, and answered in order.
 */
const BOOKS = [2000, 2001, 2002, 2003, 2004, 2005, 2006, 2007];
let work: string;
let gen: GeneratedMirror;
let server: FtpServer;

beforeAll(async () => {
  work = await tempDir('ftp-probe-passed');
  // The third transfer (2002), during which the held commands arrive, lasts ~4 s at 400 KB/s: a wide margin.
  gen = await generateMirror(path.join(work, 'mirror'), BOOKS.map((ebook) => ({ ebook, files: ['-0.txt'], sizeBytes: ebook === 2002 ? 1_500_000 : 100_000 })));
  server = await startPureFtpd({ root: gen.root, bandwidthKBps: 400 });
});
afterAll(async () => {
  await server?.stop();
  await removeAll(work);
});

/** Replies with `code` (their last line) in the server's text. */
const replies = (text: string, code: number) => (text.match(new RegExp(`^${code} `, 'gm')) ?? []).length;

describe('pure-ftpd taken as pipelined (its probe passed)', () => {
  it('the commands it reads during a transfer get a 500 ahead of the 226: out of step at once, the books redone lock-step, every one byte-exact (a redo, no splice)', async () => {
    const relay = await startOrderRelay({
      targetPort: server.port,
      hold: (client, sent, atArrival) => {
        if (!client.includes('NOOP\r\n')) return false; // only the probing connection
        if (replies(sent, 226) === 0) return true; // the probe reaches the server after the first transfer: answered in order
        // What the client writes once the second transfer ended reaches the server during the next one.
        return replies(atArrival, 226) >= 2 && replies(sent, 150) <= replies(sent, 226);
      },
      boundMs: 30_000,
    });
    const verdicts: string[] = [];
    const mirror = openMirror(server.urlVia(relay.hostPort), { timeoutMs: 10_000, ftp: { onLockStep: (_h, reason) => verdicts.push(reason) } });
    const raw = path.join(work, 'raw');
    try {
      const results = await mirror.openSession(0).fetchBooks(BOOKS, { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
      for (const [i, ebook] of BOOKS.entries()) expect((results[i] as FetchedBook).sha256, String(results[i])).toBe(gen.books.get(ebook)!.files[0]!.textSha256);
      // Every hold ended by the order, none by the bound. (A chunk that came when its order already
      // held went through without a hold: the commands written after the second transfer reach the
      // relay after the third transfer's 150 when the client was slow, a loaded box.)
      expect(relay.timedOut).toBe(0);
      expect(verdicts).toHaveLength(1);
      expect(verdicts[0]).toMatch(/^replies out of step: RETR answered with 500 /);
      // The probing connection, then the redo's (lock-step: no NOOP on it).
      expect(relay.sent).toHaveLength(2);
      expect(relay.sent[1]).not.toContain('NOOP');
      expect(await listFiles(raw)).toEqual(BOOKS.map((e) => `${e}-0.txt`).sort());
    } finally {
      await mirror.close();
      await relay.stop();
    }
  });
});
