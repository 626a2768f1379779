/**
 * `fanout lab queue` over the harness's HTTP server: one cell per bound between the download and
 * clean stages, every book done in each, the queue never held more books than its bound, and the
 * files and notes are those of the measured points. No timing is asserted.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_CSV_HEAD, analyseQueueLab, type QueuePoint } from '../../../shared/lab/queue-analysis';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { checkSvg } from '../../unit/lab/svg-check';
import { runFanoutCli as fanout } from '../../harness/fanout-cli';

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

describe('fanout lab queue', () => {
  it('runs the sample once per bound and accounts for the queue in each', async () => {
    const out = join(fx.dir, 'lab-queue');
    const r = await fanout(['lab', 'queue', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '2000-2009', '--sample', '8', '--workers', '4', '--bounds', '1,4,unbounded', '--out-dir', out, '--json']);
    expect(r.stderr).toContain('lab succeeded: 3 cells measured');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { points: QueuePoint[]; analysis: { notes: string[] } };
    expect(json.points.map((p) => p.bound)).toEqual([1, 4, null]);
    for (const p of json.points) {
      expect(p).toMatchObject({ itemsDone: 8, itemsFailed: 0 });
      expect(p.peakInFlight).toBeGreaterThanOrEqual(1);
      if (p.bound !== null) expect(p.peakInFlight).toBeLessThanOrEqual(p.bound);
      expect(p.blockedMs).toBeGreaterThanOrEqual(0);
      expect(p.peakRssBytes).toBeGreaterThan(0);
    }
    const a = analyseQueueLab(json.points);
    expect(json.analysis.notes).toEqual(a.notes);
    expect([1, 4, null]).toContain(a.busyBound);
    const csv = (await readFile(join(out, 'lab.csv'), 'utf8')).trimEnd().split('\n');
    expect(csv[0]).toBe(QUEUE_CSV_HEAD.join(','));
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['1', '4', 'unbounded']);
    const svg = checkSvg(await readFile(join(out, 'lab.svg'), 'utf8'));
    expect(svg.elements.filter((e) => e.name === 'circle').map((c) => c.attrs['data-bound'])).toEqual(['1', '4', 'unbounded']);
  });

  it('runs the warm-up and every bound under --max-per-host and --item-timeout', async () => {
    const out = join(fx.dir, 'lab-queue-per-host');
    const before = fx.http.connections();
    const r = await fanout(['lab', 'queue', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '2000-2009', '--sample', '4', '--workers', '4', '--bounds', '2', '--max-per-host', '1', '--item-timeout', '30s', '--out-dir', out, '--json']);
    expect(r.stderr).toContain('lab succeeded: 1 cell measured');
    expect((JSON.parse(r.stdout) as { points: QueuePoint[] }).points.map((p) => p.itemsDone)).toEqual([4]);
    // The warm-up and the one cell, one connection each (4 workers without the cap).
    expect(fx.http.connections() - before).toBe(2);
  });
});
