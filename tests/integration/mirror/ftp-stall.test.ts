import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror } from '../../../electron/engine/mirror';
import { generateMirror, sha256, startFtpServerOf, startTcpProxy, type FtpServer, type GeneratedMirror } from '../../harness';
import { listFiles, makeCtx, removeAll, tempDir } from './helpers';

/**
 * Stall timeouts on FTP data connections: a transfer that stops making progress (the proxy stops
 * forwarding mid-body but keeps the connection open) is cut after `stallTimeoutMs` as a retryable
 * TIMEOUT, its `.part` kept, and the next attempt resumes it byte-exact. Both paths: the batch
 * engine's own data connection, and basic-ftp's transfer (the one-book path, taken by a book whose
 * listing gives no size: a symlink).
 */
const LINKED = Buffer.alloc(300_000, 'linked text\n');
let work: string;
let gen: GeneratedMirror;
let server: FtpServer;

beforeAll(async () => {
  work = await tempDir('ftp-stall');
  gen = await generateMirror(path.join(work, 'mirror'), [{ ebook: 2000, files: ['-0.txt'], sizeBytes: 2_300_000 }] /* over 2 MiB: MDTM recorded, resumable */);
  await mkdir(path.join(gen.root, '4/0/0/4000'), { recursive: true });
  await writeFile(path.join(gen.root, '4/0/0/4000/4000-0.data'), LINKED);
  await symlink('4000-0.data', path.join(gen.root, '4/0/0/4000/4000-0.txt'));
  server = await startFtpServerOf('vsftpd', { root: gen.root });
});
afterAll(async () => {
  await server?.stop();
  await removeAll(work);
});

describe.each([
  ['batch engine', 2000],
  ['basic-ftp transfer', 4000],
] as const)('FTP data stall (%s)', (name, ebook) => {
  it('cuts a transfer that stopped making progress as a retryable TIMEOUT, then resumes it', async () => {
    const proxy = await startTcpProxy({ targetPort: server.port, ftp: true });
    // For the symlink the first data connection is the guessed `N-0.txt`, read and dropped.
    proxy.setStall({ afterBytes: 50_000, times: ebook === 4000 ? 2 : 1, on: 'data' });
    const mirror = openMirror(server.urlVia(proxy.hostPort), { timeoutMs: 20_000, stallTimeoutMs: 700 });
    const raw = path.join(work, `raw-${ebook}`);
    try {
      const s = mirror.openSession(0);
      const first = await s.fetchBook(ebook, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
      expect(proxy.stats.stalled).toBeGreaterThanOrEqual(1);
      expect(first, name).toBeInstanceOf(FanoutError);
      expect((first as FanoutError).code).toBe('TIMEOUT');
      expect((first as FanoutError).retryable).toBe(true);
      expect(await listFiles(raw)).toContain(`${ebook}-0.txt.part`);

      const again = await s.fetchBook(ebook, { rawDir: raw, ctx: makeCtx() });
      const want = ebook === 2000 ? gen.books.get(2000)!.files[0]!.textSha256 : sha256(LINKED);
      expect(again.resumedFrom).toBeGreaterThan(0);
      expect(again.sha256).toBe(want);
      expect(sha256(await readFile(again.rawPath))).toBe(want);
      await s.close();
    } finally {
      await mirror.close();
      await proxy.stop();
    }
  });
});
