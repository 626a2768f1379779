import { describe, expect, it } from 'vitest';
import { analyseQueueLab, queueCsv, queueSvg, type QueuePoint } from '../../../shared/lab/queue-analysis';
import { checkSvg } from './svg-check';

const MB = 2 ** 20;
function qp(bound: number | null, ms: number, blockedMs: number, extra: Partial<QueuePoint> = {}): QueuePoint {
  return { bound, wallMs: [ms], medianMs: ms, itemsDone: 40, itemsFailed: 0, bytes: 4_000_000, blockedMs, peakInFlight: bound ?? 40, peakRssBytes: (100 + (bound ?? 200)) * MB, ...extra };
}

describe('queue lab analysis', () => {
  it('names the smallest bound within 5 % of the best throughput, with the numbers', () => {
    const a = analyseQueueLab([qp(null, 2000, 0), qp(1, 4000, 3000), qp(4, 2050, 400), qp(16, 2000, 10)]);
    expect(a.rows.map((r) => r.bound)).toEqual([1, 4, 16, null]);
    expect(a.busyBound).toBe(4);
    expect(a.notes[0]).toBe('Bound 4 is the smallest that keeps both stages busy: 19.5 books/s, within 5 % of the best (20.0 at 16).');
    expect(a.notes[1]).toBe('Downloaders waited 3.00 s at bound 1 and 0.00 s at unbounded (summed over workers).');
    expect(a.notes[2]).toBe('Peak memory 101 MB at bound 1, 300 MB at unbounded (the whole process; up to 40 books were queued at unbounded).');
  });

  it('says the best bound was needed when every smaller one was clearly slower', () => {
    const a = analyseQueueLab([qp(1, 4000, 3000), qp(64, 2000, 0)]);
    expect(a.busyBound).toBe(64);
    expect(a.notes[0]).toBe('Bound 64 gave the best throughput, 20.0 books/s; every smaller bound measured was more than 5 % slower.');
  });

  it('claims nothing from one cell but its throughput, and counts failed cells', () => {
    const a = analyseQueueLab([qp(8, 1000, 5, { itemsFailed: 1 })]);
    expect(a.notes).toHaveLength(2);
    expect(a.notes[1]).toMatch(/^1 cell had failed items/);
  });

  it('writes one CSV line per bound and an SVG with one point per bound', () => {
    const a = analyseQueueLab([qp(1, 4000, 3000), qp(null, 2000, 0)]);
    expect(queueCsv(a.rows).trimEnd().split('\n').slice(1)).toEqual(['1,4.000,4000,10.000,1000000,3.000,1,105906176,40,0,4000000', 'unbounded,2.000,2000,20.000,2000000,0.000,40,314572800,40,0,4000000']);
    const svg = checkSvg(queueSvg(a, 'queue <lab>'));
    expect(svg.elements.filter((e) => e.name === 'circle').map((c) => c.attrs['data-bound'])).toEqual(['1', 'unbounded']);
    expect(svg.elements.filter((e) => e.name === 'rect' && e.attrs.class === 'blocked')).toHaveLength(2);
  });
});

describe('queue lab under a bandwidth cap', () => {
  it('places the best throughput against the cap (--limit-rate)', () => {
    const near = analyseQueueLab([qp(1, 4000, 3000), qp(16, 2000, 10)], { rateCap: 2_000_000 });
    expect(near.notes.at(-1)).toMatch(/^Capped at .*: Bound 16 moved .*within 10 % of the cap: the throughput levels off at the cap/);
    const below = analyseQueueLab([qp(16, 2000, 10)], { rateCap: 20_000_000 });
    expect(below.notes.at(-1)).toMatch(/^Bound 16 moved .*below the cap of .*did not shape the throughput/);
    expect(analyseQueueLab([qp(16, 2000, 10)]).notes.join(' ')).not.toMatch(/cap/);
  });
});
