import { writeFileSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { FTP_SERVER_KINDS, generateMirror, startFtpServerOf } from '../../harness';
import { makeCtx, removeAll, startOrderRelay, seeded as body, sha256 as sha, tempDir } from './helpers';

/**
 * A book's file rewritten between its listing (STAT) and its RETR (a mirror syncing while a batch
 * runs): the transfer brings another size than the listing said. The order is made certain by a
 * relay that rewrites the file when it sees the client's `RETR` of it, before handing it on.
 * vsftpd and ProFTPD name the new size in their `150` (`… for /3/0/0/3000/3000-8.txt (30100
 * bytes)`), pure-ftpd does not. The book fails SIZE_MISMATCH (retryable) saying what happened; the
 * server is not taken for one whose replies went out of step (a 150 naming the book's own file is
 * that book's, whatever size it names); the next call fetches the new file.
 */

const LISTED = 30_000;

let work: string;
beforeAll(async () => {
  work = await tempDir('ftp-file-changed');
});
afterAll(async () => {
  await removeAll(work);
});

describe.each(FTP_SERVER_KINDS)('FTP: a file rewritten between its listing and its RETR (%s)', (kind) => {
  it.each([
    ['grown', 30_100, /^Received 30100 bytes, more than the 30000 the server gave as its size: the file changed meanwhile$/],
    ['shrunk', 29_000, /^Received 29000 of 30000 bytes$/],
  ] as const)('%s: the book fails SIZE_MISMATCH (retryable); no lock-step verdict; the next call fetches the new file', { timeout: 60_000 }, async (name, size, message) => {
    const gen = await generateMirror(path.join(work, `${kind}-${name}`), []);
    const file = path.join(gen.root, '3/0/0/3000/3000-8.txt');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, body(LISTED, 'before'));
    const old = new Date(Date.now() - 3_600_000);
    await utimes(file, old, old);
    const now = body(size, `after-${name}`);
    const ftp = await startFtpServerOf(kind, { root: gen.root });
    let rewritten = false;
    const relay = await startOrderRelay({
      targetPort: ftp.port,
      hold: (client) => {
        // (The file's RETR is written after its listing came back: the listing saw the old file.)
        if (!rewritten && /RETR \S*3000-8\.txt/.test(client)) {
          writeFileSync(file, now);
          rewritten = true;
        }
        return false;
      },
    });
    const verdicts: string[] = [];
    const mirror = openMirror(ftp.urlVia(relay.hostPort), { timeoutMs: 300_000, ftp: { onLockStep: (_h, reason) => verdicts.push(reason) } });
    const raw = path.join(work, `raw-${kind}-${name}`);
    try {
      const s = mirror.openSession(0);
      const [r] = await s.fetchBooks([3000], { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
      expect(rewritten).toBe(true);
      expect(r, String(r)).toBeInstanceOf(FanoutError);
      const e = r as FanoutError;
      expect(e.code, e.message).toBe('SIZE_MISMATCH');
      expect(e.retryable).toBe(true);
      expect(e.message).toMatch(message);
      expect(verdicts).toEqual([]);
      const [again] = await s.fetchBooks([3000], { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
      expect((again as FetchedBook).sha256, String(again)).toBe(sha(now));
      await s.close();
    } finally {
      await mirror.close();
      await relay.stop();
      await ftp.stop();
    }
  });
});
