import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror } from '../../../electron/engine/mirror';
import { generateMirror, sha256, startFtpServerOf, startTcpProxy, type FtpServer, type GeneratedMirror } from '../../harness';
import { listFiles, makeCtx, removeAll, tempDir } from './helpers';

/**
 * Stall timeouts on FTP data connections: a transfer that stops making progress (the proxy stops
 * forwarding mid-body but keeps the connection open) is cut after `stallTimeoutMs` as a retryable
 * TIMEOUT, its `.part` kept, and the next attempt resumes it byte-exact. Both paths: the pipelined
 * batch and the lock-step one (basic-ftp's transfer).
 */
let work: string;
let gen: GeneratedMirror;
let server: FtpServer;

beforeAll(async () => {
  work = await tempDir('ftp-stall');
  gen = await generateMirror(path.join(work, 'mirror'), [{ ebook: 2000, files: ['-0.txt'], sizeBytes: 300_000 }]);
  server = await startFtpServerOf('vsftpd', { root: gen.root });
});
afterAll(async () => {
  await server?.stop();
  await removeAll(work);
});

describe.each([
  ['pipelined batch', false],
  ['lock-step', true],
] as const)('FTP data stall (%s)', (name, lockStep) => {
  it('cuts a transfer that stopped making progress as a retryable TIMEOUT, then resumes it', async () => {
    const proxy = await startTcpProxy({ targetPort: server.port, ftp: true });
    proxy.setStall({ afterBytes: 50_000, times: 1, on: 'data' });
    const mirror = openMirror(server.urlVia(proxy.hostPort), { timeoutMs: 20_000, stallTimeoutMs: 700, ftp: { lockStep } });
    const raw = path.join(work, `raw-${lockStep ? 'lockstep' : 'batch'}`);
    try {
      const s = mirror.openSession(0);
      const first = await s.fetchBook(2000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
      expect(proxy.stats.stalled).toBe(1);
      expect(first, name).toBeInstanceOf(FanoutError);
      expect((first as FanoutError).code).toBe('TIMEOUT');
      expect((first as FanoutError).retryable).toBe(true);
      expect(await listFiles(raw)).toContain('2000-0.txt.part');

      const again = await s.fetchBook(2000, { rawDir: raw, ctx: makeCtx() });
      const want = gen.books.get(2000)!.files[0]!;
      expect(again.resumedFrom).toBeGreaterThan(0);
      expect(again.sha256).toBe(want.textSha256);
      expect(sha256(await readFile(again.rawPath))).toBe(want.textSha256);
      await s.close();
    } finally {
      await mirror.close();
      await proxy.stop();
    }
  });
});
