/**
 * The per-item timeout against a server with one straggler (the latency proxy trickles one book's
 * first transfer): the attempt is cut, the book re-issued on a new connection, resumed from the
 * kept `.part` (a Range request), and written once, byte for byte, with one manifest line.
 * Without the timeout the same book lands at the trickle's pace, in one attempt. No timing asserted.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import type { ItemTiming } from '../../../electron/engine/core/item-deadline';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { slowBooks, startTcpProxy, type TcpProxy } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';

const SLOW = 2003;
/**
 * The cut tests: the straggler (51 KB) trickled at 2 KB/s would take ~25 s, and the per-item
 * deadline is 5 s, so the deadline certainly cuts its first attempt; its re-issue (full speed, a new
 * connection, an FTP login included) has 5 s too. With 700 ms and 20 KB/s the re-issue itself was cut
 * at load ~20 (attempts 3, timedOut 2): a deadline a loaded machine could miss with nothing wrong.
 */
const CUT_AFTER_MS = 5_000;
const cutTrickle = () => slowBooks([SLOW], { bytesPerSecond: 2_000 });
let fx: GutenbergFixture;
let proxy: TcpProxy;
beforeAll(async () => {
  fx = await startGutenbergFixture();
  proxy = await startTcpProxy({ targetPort: fx.http.port, slow: slowBooks([SLOW], { bytesPerSecond: 20_000 }) });
});
afterAll(async () => {
  await proxy?.stop();
  await fx?.cleanup();
});

async function run(outName: string, itemTimeoutMs?: number, mirror = `http://${proxy.hostPort}/`) {
  const out = join(fx.dir, outName);
  const timings: ItemTiming[] = [];
  const spec = GutenbergJobSpecSchema.parse({
    kind: 'gutenberg', catalog: fx.catalogPath, mirror, selection: { ids: [{ from: 2000, to: 2007 }] },
    workers: 2, strategy: 'queue', outDir: out, ...(itemTimeoutMs ? { itemTimeoutMs } : {}),
  });
  const summary = await runGutenbergJob(spec, { ...createJobControl(), onItemTimed: (t) => timings.push(t) });
  return { out, timings, summary };
}

/** The slow book as the mirror has it, and every manifest line written for it. */
async function slowBookOnDisk(out: string) {
  const file = fx.mirror.books.get(SLOW)!.files[0]!;
  const lines = (await readFile(join(out, 'manifest.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { ebook: number; status: string; rawFile: string; rawSha256: string });
  const mine = lines.filter((l) => l.ebook === SLOW);
  const raw = mine.length === 1 ? await readFile(join(out, mine[0]!.rawFile)) : Buffer.alloc(0);
  return { file, mine, raw, leftovers: (await readdir(join(out, 'raw'))).filter((n) => n.includes('.part')) };
}

describe('per-item timeout and a straggler', () => {
  it('cuts the straggler, re-issues it on a new connection, and writes it once, whole', async () => {
    const cutProxy = await startTcpProxy({ targetPort: fx.http.port, slow: cutTrickle() });
    const before = fx.http.requests.length;
    const connectionsBefore = fx.http.connections();
    const { out, timings, summary } = await run('reissued', CUT_AFTER_MS, `http://${cutProxy.hostPort}/`).finally(() => cutProxy.stop());
    expect(summary).toMatchObject({ status: 'succeeded', itemsDone: 8, itemsFailed: 0 });
    // Every book is accounted for, once, landed.
    expect(timings.map((t) => t.key).sort()).toEqual([2000, 2001, 2002, 2003, 2004, 2005, 2006, 2007]);
    expect(timings.every((t) => t.landed && t.ms > 0)).toBe(true);
    const slow = timings.find((t) => t.key === SLOW)!;
    expect(slow).toMatchObject({ attempts: 2, timedOut: 1 });
    expect(slow.ms).toBeGreaterThanOrEqual(CUT_AFTER_MS);
    const { file, mine, raw, leftovers } = await slowBookOnDisk(out);
    // Two requests: the whole file (cut), then the rest from where the part ended, on another connection.
    const reqs = fx.http.requests.slice(before).filter((r) => r.path === `/${file.relPath}`);
    expect(reqs.map((r) => r.range === null)).toEqual([true, false]);
    expect(reqs[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(reqs[1]!.connection).not.toBe(reqs[0]!.connection);
    expect(fx.http.connections() - connectionsBefore).toBeGreaterThanOrEqual(3);
    // Written once, byte for byte: one manifest line, the raw text whole, no part left behind.
    expect(mine).toHaveLength(1);
    expect(mine[0]!.status).toBe('ok');
    expect(createHash('sha256').update(raw).digest('hex')).toBe(file.textSha256);
    expect(mine[0]!.rawSha256).toBe(file.textSha256);
    expect(leftovers).toEqual([]);
  });

  it('without a timeout, the straggler lands in one attempt at the trickle', async () => {
    const { out, timings, summary } = await run('waited');
    expect(summary).toMatchObject({ status: 'succeeded', itemsDone: 8, itemsFailed: 0 });
    expect(timings.find((t) => t.key === SLOW)).toMatchObject({ landed: true, attempts: 1, timedOut: 0 });
    const { file, mine, raw } = await slowBookOnDisk(out);
    expect(mine).toHaveLength(1);
    expect(createHash('sha256').update(raw).digest('hex')).toBe(file.textSha256);
  });

  it('over FTP too: the straggler\'s data connection is trickled, cut, and the book resumed and written once', async () => {
    const ftpProxy = await startTcpProxy({ targetPort: fx.ftp.port, ftp: true, slow: cutTrickle() });
    try {
      const { out, timings, summary } = await run('ftp-reissued', CUT_AFTER_MS, fx.ftp.urlVia(ftpProxy.hostPort));
      expect(summary).toMatchObject({ status: 'succeeded', itemsDone: 8, itemsFailed: 0 });
      expect(timings).toHaveLength(8);
      expect(timings.find((t) => t.key === SLOW)).toMatchObject({ landed: true, attempts: 2, timedOut: 1 });
      expect(ftpProxy.stats.slowed).toBe(1);
      const { file, mine, raw, leftovers } = await slowBookOnDisk(out);
      expect(mine).toHaveLength(1);
      expect(createHash('sha256').update(raw).digest('hex')).toBe(file.textSha256);
      expect(leftovers).toEqual([]);
    } finally {
      await ftpProxy.stop();
    }
  });
});
