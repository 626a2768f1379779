import { describe, expect, it } from 'vitest';
import { analyseStragglerLab, percentile, stragglerCsv, stragglerSvg, timeoutName, type StragglerPoint } from '../../../shared/lab/straggler-analysis';
import { checkSvg } from './svg-check';

/** A cell: 16 items of 100 ms, plus the given slow ones. */
function sp(timeoutMs: number | null, ms: number, slow: number[], extra: Partial<StragglerPoint> = {}): StragglerPoint {
  return { timeoutMs, wallMs: [ms], medianMs: ms, itemsDone: 16 + slow.length, itemsFailed: 0, bytes: 1_000_000, latenciesMs: [...slow, ...Array<number>(16).fill(100)], itemsRetried: 0, timeouts: 0, repeats: 1, ...extra };
}

describe('stragglers lab analysis', () => {
  it('nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(xs, 50), percentile(xs, 95), percentile(xs, 99), percentile(xs, 100)]).toEqual([50, 95, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
    expect([timeoutName(null), timeoutName(500), timeoutName(2000), timeoutName(1500)]).toEqual(['off', '500 ms', '2 s', '1.5 s']);
  });

  it('compares each timeout with the run without one, from the measured numbers', () => {
    const a = analyseStragglerLab([sp(1000, 1800, [1300, 1250], { timeouts: 2, itemsRetried: 2 }), sp(null, 4000, [3900, 3800]), sp(5000, 4100, [3900, 3800])]);
    expect(a.rows.map((r) => r.name)).toEqual(['off', '1 s', '5 s']);
    expect(a.baseline?.name).toBe('off');
    expect(a.fastest?.name).toBe('1 s');
    expect(a.shortestTail?.name).toBe('1 s');
    expect(a.rows[0]!.p99).toBe(3900);
    expect(a.rows[0]!.p50).toBe(100);
    expect(a.notes).toContain('Lowest total time: timeout 1 s, 1.80 s against 4.00 s without a timeout (55 % less).');
    expect(a.notes).toContain('Shortest tail: timeout 1 s, p99 item latency 1.30 s against 3.90 s without a timeout (67 % less); p50 0.10 s against 0.10 s.');
    expect(a.notes).toContain('Timeout 1 s: 2 attempts cut, 2 items took more than one attempt.');
    expect(a.notes).toContain('Timeout 5 s: no attempt ran into it.');
  });

  it('says so when no timeout helped, and claims no gain', () => {
    const a = analyseStragglerLab([sp(null, 1000, [150]), sp(2000, 1100, [160])]);
    expect(a.notes[0]).toBe('No timeout beat running without one on total time: 1.00 s without; the best timeout, 2 s, took 1.10 s (10 % more).');
    expect(a.notes[1]).toBe('No timeout shortened the tail: p99 item latency 0.15 s without a timeout; the best timeout, 2 s, had 0.16 s.');
    expect(a.notes.join(' ')).not.toMatch(/Lowest|Shortest/);
  });

  it('says when a short timeout cut more than a longer one, with the numbers', () => {
    const a = analyseStragglerLab([sp(null, 4000, [3900]), sp(250, 1800, [900, 600, 500], { timeouts: 10, itemsRetried: 9 }), sp(1000, 2200, [1300], { timeouts: 3, itemsRetried: 3 })]);
    expect(a.notes).toContain('Timeout 250 ms cut more attempts than 1 s (10 against 3): it also cut items a longer timeout lets finish; p95 0.90 s against 3.90 s without a timeout.');
    expect(a.notes.filter((n) => n.includes('cut more attempts'))).toHaveLength(1);
  });

  it('leaves failed cells out of the comparisons and names them', () => {
    const a = analyseStragglerLab([sp(null, 4000, [3900]), sp(200, 900, [], { itemsFailed: 3, timeouts: 15 })]);
    expect(a.fastest?.name).toBe('off');
    expect(a.notes).toContain('Timeout 200 ms: 3 items failed (15 attempts cut by the timeout): its time and latencies cover fewer items and compare poorly.');
    expect(a.notes.join(' ')).not.toMatch(/Lowest total time: timeout 200/);
  });

  it('without a cell lacking a timeout, compares the timeouts with each other only', () => {
    const a = analyseStragglerLab([sp(1000, 2000, [1200]), sp(3000, 3000, [2900])]);
    expect(a.baseline).toBeNull();
    expect(a.notes[0]).toBe('No cell ran without a timeout: the timeouts are compared with each other only.');
    expect(a.notes[1]).toBe('Lowest total time: timeout 1 s, 2.00 s.');
  });

  it('places the fastest cell against a bandwidth cap', () => {
    const near = analyseStragglerLab([sp(null, 1000, [])], { rateCap: 1_000_000 });
    expect(near.notes.at(-1)).toMatch(/^Capped at .*within 10 % of the cap/);
    const below = analyseStragglerLab([sp(null, 1000, [])], { rateCap: 10_000_000 });
    expect(below.notes.at(-1)).toMatch(/below the cap of .*did not shape the total time/);
  });

  it('writes one CSV line per cell and one SVG dot per measured item', () => {
    const a = analyseStragglerLab([sp(null, 4000, [3900]), sp(1000, 1500, [1200], { timeouts: 1, itemsRetried: 1 })]);
    const lines = stragglerCsv(a.rows).trimEnd().split('\n');
    expect(lines[0]).toBe('timeout,timeout_ms,median_s,wall_ms,p50_ms,p95_ms,p99_ms,max_ms,items_measured,items_retried,timeouts,items_done,items_failed,bytes,repeats');
    expect(lines[1]).toBe('off,,4.000,4000,100.0,3900.0,3900.0,3900.0,17,0,0,17,0,1000000,1');
    expect(lines[2]).toBe('1 s,1000,1.500,1500,100.0,1200.0,1200.0,1200.0,17,1,1,17,0,1000000,1');
    const svg = checkSvg(stragglerSvg(a, 'stragglers <lab>'));
    expect(svg.elements.filter((e) => e.name === 'circle' && e.attrs.class === 'item')).toHaveLength(34);
    expect(svg.elements.filter((e) => e.name === 'line' && e.attrs.class === 'p99').map((e) => e.attrs['data-ms'])).toEqual(['3900.0', '1200.0']);
  });
});
