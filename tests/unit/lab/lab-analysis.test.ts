import { describe, expect, it } from 'vitest';
import type { LabPoint } from '../../../shared/ipc';
import type { Strategy } from '../../../shared/strategy';
import { analyseLab } from '../../../shared/lab/lab-analysis';
import { LAB_CSV_HEAD, labCsv, labSvg } from '../../../shared/lab/lab-files';
import { speedupSpread } from '../../../shared/lab/spread';
import { checkSvg } from './svg-check';

function pt(strategy: Strategy, workers: number, ms: number, extra: Partial<LabPoint> = {}): LabPoint {
  return { strategy, workers, scrubExecutor: 'threads', wallMs: [ms], medianMs: ms, itemsDone: 10, itemsFailed: 0, bytes: 1000, ...extra };
}

/** A seeded generator, so the property test below is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

describe('lab baselines', () => {
  const points = [pt('serial', 1, 8000), pt('queue', 1, 9000), pt('queue', 2, 4500), pt('queue', 4, 3000), pt('adaptive', 2, 5000)];
  const a = analyseLab(points);

  it('states speed-up against the serial run and against the same strategy at one worker, with seconds and efficiency', () => {
    const q4 = a.rows.find((r) => r.strategy === 'queue' && r.workers === 4)!;
    expect(q4.seconds).toBe(3);
    expect(q4.vsSerial).toBeCloseTo(8000 / 3000);
    expect(q4.vsOneWorker).toBeCloseTo(3);
    expect(q4.efficiency).toBeCloseTo(0.75);
    // adaptive has no one-worker cell: no speedup against it is invented, the serial one is stated.
    const ad = a.rows.find((r) => r.strategy === 'adaptive')!;
    expect(ad.vsOneWorker).toBeNull();
    expect(ad.efficiency).toBeNull();
    expect(ad.vsSerial).toBeCloseTo(1.6);
    expect(a.series.find((s) => s.label === 'adaptive')?.base).toBe('serial');
    expect(a.series.find((s) => s.label === 'queue')?.base).toBe('one-worker');
  });

  it('names the fastest measured cell with its seconds and its speedup over serial', () => {
    expect(a.fastest).toMatchObject({ strategy: 'queue', workers: 4 });
    expect(a.notes[0]).toBe("Fastest: queue with 4 workers, 3.00 s, 2.67× the serial run's 8.00 s.");
    expect(a.best?.label).toBe('queue');
    expect([1, 2, 4]).toContain(a.recommended);
  });

  it('says nothing about serial when no serial run was measured, and states no speedup without a base', () => {
    const b = analyseLab([pt('queue', 2, 500), pt('queue', 4, 300)]);
    expect(b.rows.every((r) => r.vsSerial === null && r.vsOneWorker === null)).toBe(true);
    expect(b.series).toEqual([]);
    expect(b.amdahl).toBeNull();
    expect(b.recommended).toBeNull();
    expect(b.notes.join(' ')).not.toMatch(/serial/);
    expect(b.notes[0]).toBe('Fastest: queue with 4 workers, 0.30 s.');
  });

  it('says serial won when no parallel cell beat it', () => {
    const c = analyseLab([pt('serial', 1, 1000), pt('queue', 1, 1200), pt('queue', 2, 1100)]);
    expect(c.notes).toContain('No parallel cell beat the serial run on this sample.');
  });

  it('counts cells with failed items', () => {
    const d = analyseLab([pt('serial', 1, 1000), pt('queue', 2, 600, { itemsFailed: 2 })]);
    expect(d.failedCells).toBe(1);
    expect(d.notes.at(-1)).toMatch(/^1 cell had failed items/);
  });
});

describe('lab notes claim only what was measured', () => {
  it('says throughput falls only when a measured point past the best one is below it, with those numbers', () => {
    const rising = analyseLab([1, 2, 4, 8, 16].map((n) => pt('queue', n, 1000 / Math.min(n, 6))));
    expect(rising.notes.join(' ')).not.toMatch(/falls/);
    const falling = analyseLab([pt('queue', 1, 1000), pt('queue', 2, 500), pt('queue', 4, 300), pt('queue', 8, 400), pt('queue', 16, 700)]);
    const note = falling.notes.find((n) => n.includes('falls'));
    expect(note).toBe('queue: measured speedup falls past 4 workers: 3.33× at 4, 1.43× at 16 (against its own one-worker time): more workers cost more than they bring here.');
  });

  it('holds for any measured grid (seeded random grids)', () => {
    const next = rng(11);
    for (let t = 0; t < 300; t++) {
      const ns = [1, 2, 4, 8, 16].filter(() => next() < 0.8);
      if (ns.length === 0) continue;
      const points = [pt('serial', 1, 500 + next() * 1500), ...ns.map((n) => pt('queue', n, 100 + next() * 2000))];
      const a = analyseLab(points);
      const rows = a.best?.rows ?? [];
      const text = a.notes.join('\n');
      if (/falls past/.test(text)) {
        const peak = Math.max(...rows.map((r) => r.speedup));
        expect(rows.at(-1)!.speedup).toBeLessThan(0.95 * peak);
      } else if (rows.length > 1) {
        const peakRow = rows.reduce((p, r) => (r.speedup > p.speedup ? r : p));
        expect(peakRow.workers === rows.at(-1)!.workers || rows.at(-1)!.speedup >= 0.95 * peakRow.speedup).toBe(true);
      }
      // The fastest cell named is the one with the least time, and its factor over serial is the measured one.
      const fastest = points.reduce((p, q) => (q.medianMs < p.medianMs ? q : p));
      expect(a.fastest?.medianMs).toBe(fastest.medianMs);
      if (fastest.strategy !== 'serial') expect(text).toContain(`${(points[0]!.medianMs / fastest.medianMs).toFixed(2)}× the serial run`);
      else expect(text).not.toMatch(/× the serial run/);
      // The recommendation is a measured worker count; a USL peak beyond the range is called a projection.
      if (a.recommended !== null) expect(rows.map((r) => r.workers)).toContain(a.recommended);
      if (a.usl && Number.isFinite(a.usl.peak) && a.usl.peak > rows.at(-1)!.workers) expect(text).toMatch(/a projection, not a measurement/);
    }
  });
});

describe('lab files', () => {
  const points = [pt('serial', 1, 8000), pt('queue', 1, 9000), pt('queue', 2, 4500), pt('queue', 4, 3000), pt('queue', 4, 3500, { scrubExecutor: 'processes' })];
  const a = analyseLab(points);

  it('writes one CSV line per cell, empty where a baseline was not measured', () => {
    const lines = labCsv(a.rows).trimEnd().split('\n');
    expect(lines[0]).toBe(LAB_CSV_HEAD.join(','));
    expect(lines).toHaveLength(points.length + 1);
    expect(lines).toContain('queue,threads,4,3.000,3000,2.667,3.000,0.750,0.111,10,0,1000');
    expect(lines).toContain('serial,threads,1,8.000,8000,1.000,1.000,1.000,,10,0,1000');
    expect(lines).toContain('queue,processes,4,3.500,3500,2.286,,,,10,0,1000');
  });

  it('draws an SVG that parses, with one point per measured speedup', () => {
    const svg = labSvg(a, 'lab <test> & "more"');
    const { elements } = checkSvg(svg);
    const circles = elements.filter((e) => e.name === 'circle');
    expect(circles.map((c) => `${c.attrs['data-strategy']}@${c.attrs['data-workers']}`)).toEqual(['queue@1', 'queue@2', 'queue@4']);
    expect(Number(circles[2]!.attrs['data-speedup'])).toBeCloseTo(3, 3);
    expect(elements.some((e) => e.name === 'polyline' && e.attrs.class === 'amdahl')).toBe(true);
  });
});

describe('lab.svg spread bars', () => {
  const runs = (strategy: Strategy, workers: number, wallMs: number[]) => pt(strategy, workers, [...wallMs].sort((x, y) => x - y)[1]!, { wallMs });

  it('draws each repeated cell\'s fastest–slowest runs as a bar through its point, the numbers the app\'s chart draws', () => {
    const a = analyseLab([runs('queue', 1, [1000, 1100, 900]), runs('queue', 2, [600, 500, 550]), runs('queue', 4, [300, 420, 350])]);
    const { elements } = checkSvg(labSvg(a));
    const bars = elements.filter((e) => e.name === 'path' && e.attrs.class === 'spread');
    const want = speedupSpread(a)[0]!.bars;
    expect(bars.map((b) => [Number(b.attrs['data-workers']), Number(b.attrs['data-lo']), Number(b.attrs['data-hi']), Number(b.attrs['data-runs'])])).toEqual(
      want.map((b) => [b.workers, Number(b.lo.toFixed(4)), Number(b.hi.toFixed(4)), 3]),
    );
    // Each bar stands at its point's x and spans its y.
    const circles = elements.filter((e) => e.name === 'circle');
    bars.forEach((b, i) => {
      const [x] = b.attrs.d!.slice(1).split(/[ L]/).map(Number);
      expect(x).toBe(Number(circles[i]!.attrs.cx));
      const ys = [...b.attrs.d!.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
      expect(Math.min(...ys)).toBeLessThanOrEqual(Number(circles[i]!.attrs.cy));
      expect(Math.max(...ys)).toBeGreaterThanOrEqual(Number(circles[i]!.attrs.cy));
    });
    expect(elements.find((e) => e.attrs.class === 'spread-note')).toBeDefined();
  });

  it('draws no bar for a cell run once', () => {
    const { elements } = checkSvg(labSvg(analyseLab([pt('queue', 1, 1000), pt('queue', 2, 550)])));
    expect(elements.filter((e) => e.attrs.class === 'spread' || e.attrs.class === 'spread-note')).toEqual([]);
  });
});

describe('the scrub lab against the core count', () => {
  const proc = (n: number, ms: number) => pt('queue', n, ms, { scrubExecutor: 'processes' });
  const label = (_s: string, e: string) => (e === 'processes' ? 'child processes' : 'threads');

  it('says a curve stopped at the core count only when the points past it gained nothing', () => {
    const a = analyseLab([pt('queue', 1, 1000), pt('queue', 2, 520), pt('queue', 4, 530), proc(1, 1100), proc(2, 560), proc(4, 300)], { cores: 2, label });
    expect(a.notes).toContain("threads: best speedup 1.92× at 2 workers on this machine's 2 cores: no gain past the core count (where a CPU-bound stage stops; a small sample or a server limit can stop there too).");
    expect(a.notes).toContain("child processes: best speedup 3.67× at 4 workers on this machine's 2 cores: it still grew past the core count, so this stage is not CPU-bound here.");
    expect(a.notes[0]).toBe('Fastest: child processes with 4 workers, 0.30 s.');
  });

  it('claims nothing past the core count when no point was measured there', () => {
    const a = analyseLab([pt('queue', 1, 1000), pt('queue', 2, 520), proc(1, 900), proc(2, 950)], { cores: 4, label });
    expect(a.notes).toContain("threads: best speedup 1.92× at 2 workers on this machine's 4 cores.");
    expect(a.notes).toContain("child processes: no worker count beat one worker on this machine's 4 cores.");
  });
});

describe('a lab under a bandwidth cap', () => {
  const MiB = 1024 * 1024;
  // 8 MiB per cell; at 1 worker 4 s (2 MiB/s), then the cap of 4 MiB/s holds it near 2 s.
  const capped = [pt('queue', 1, 4000, { bytes: 8 * MiB }), pt('queue', 2, 2150, { bytes: 8 * MiB }), pt('queue', 4, 2100, { bytes: 8 * MiB }), pt('queue', 8, 2080, { bytes: 8 * MiB })];

  it('says the curve is the cap when the top worker count moved within 10 % of it', () => {
    const notes = analyseLab(capped, { rateCap: 4 * MiB }).notes;
    const note = notes.find((n) => /cap/i.test(n));
    expect(note).toBeDefined();
    expect(note).toMatch(/4 MiB\/s/); // the cap
    expect(note).toMatch(/3\.8 MiB\/s/); // what 8 workers moved: 8 MiB in 2.08 s
    expect(note).toMatch(/8 workers/);
    expect(note).toMatch(/flattens at the cap/);
  });

  it('says nothing of the kind without a cap, or when the throughput stayed well below it', () => {
    expect(analyseLab(capped).notes.join(' ')).not.toMatch(/cap/i);
    const below = analyseLab(capped, { rateCap: 8 * MiB }).notes.join(' ');
    expect(below).not.toMatch(/flattens at the cap/);
    expect(below).toMatch(/below the cap of 8 MiB\/s/);
  });
});

describe('a lab under a limit of connections per server', () => {
  const points = [pt('queue', 1, 4000), pt('queue', 2, 2100), pt('queue', 4, 2050), pt('queue', 8, 2040)];

  it('names the cells that had more workers than the limit allowed connections', () => {
    const note = analyseLab(points, { maxPerHost: 2 }).notes.find((n) => /per server/.test(n));
    expect(note).toBe('Connections per server capped at 2: the cells with 4, 8 workers held at most 2 connections each, so past 2 workers the curve shows that cap, not a limit of the machine or the server.');
  });

  it('says nothing when no measured cell went past the limit, or without one', () => {
    expect(analyseLab(points, { maxPerHost: 8 }).notes.join(' ')).not.toMatch(/per server/);
    expect(analyseLab(points).notes.join(' ')).not.toMatch(/per server/);
  });
});
