import { createHash } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMirror } from '../../../electron/engine/mirror';
import { FTP_SERVER_KINDS, generateMirror, startFtpServerOf, startTcpProxy } from '../../harness';
import { makeCtx, removeAll, tempDir } from './helpers';

/**
 * A symlinked `N-0.txt` (all three servers list it as a link, without the target's size) is fetched
 * once (HE s17 #8). The batch's guessed `N-0.txt` transfer, sent with the listing, is that file: it
 * was read and dropped (outside the job's bandwidth cap and byte count) and the one-book path then
 * fetched it again, so a 3 MB book cost 6 MB. Counted by a relay that carries the control and the
 * data connections (`bytesDown`).
 */

const SIZE = 3_000_000;
const body = (size: number, seed: string) => Buffer.from(`${seed} `.repeat(Math.ceil(size / (seed.length + 1))).slice(0, size));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let work: string;
beforeAll(async () => {
  work = await tempDir('ftp-symlink-once');
});
afterAll(async () => {
  await removeAll(work);
});

describe.each(FTP_SERVER_KINDS)('FTP: a symlinked N-0.txt (%s)', (kind) => {
  it('is transferred once, its bytes counted; byte-exact', { timeout: 60_000 }, async () => {
    const gen = await generateMirror(path.join(work, `mirror-${kind}`), []);
    const dir = path.join(gen.root, '4/0/0/4000');
    await mkdir(dir, { recursive: true });
    const data = body(SIZE, `linked-${kind}`);
    await writeFile(path.join(dir, '4000-0.data'), data);
    await symlink('4000-0.data', path.join(dir, '4000-0.txt'));
    const ftp = await startFtpServerOf(kind, { root: gen.root });
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true });
    const mirror = openMirror(ftp.urlVia(proxy.hostPort), { timeoutMs: 300_000 });
    try {
      const s = mirror.openSession(0);
      const ctx = makeCtx();
      const r = await s.fetchBook(4000, { rawDir: path.join(work, `raw-${kind}`), ctx });
      expect(r.sha256).toBe(sha(data));
      expect(r.transferredBytes).toBe(SIZE);
      expect(ctx.progress.bytes).toBe(SIZE);
      // (Control connection text on top: a few kB.)
      expect(proxy.stats.bytesDown).toBeLessThan(SIZE + 100_000);
      await s.close();
    } finally {
      await mirror.close();
      await proxy.stop();
      await ftp.stop();
    }
  });
});
