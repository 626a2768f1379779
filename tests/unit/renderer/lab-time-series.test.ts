/**
 * The lab's strategies compared on one measure: each cell's wall time (lower is faster), with its
 * runs' spread. The speedup chart divides each strategy by its own one-worker time, so in HU's walk
 * adaptive (0.74 s with one worker) read 1.70× at 4 workers against queue's 3.22×, while it was the
 * faster there (0.43 s against 0.53 s).
 */
import { describe, expect, it } from 'vitest';
import type { LabPoint } from '../../../shared/ipc';
import { analyseLab } from '../../../shared/lab/lab-analysis';
import { fastestByWorkers, fastestText, labTimeSeries } from '../../../renderer/src/lib/lab-time-series';

const p = (strategy: LabPoint['strategy'], workers: number, wallMs: number[]): LabPoint => {
  const s = [...wallMs].sort((a, b) => a - b);
  return { strategy, workers, scrubExecutor: 'threads', wallMs, medianMs: s[s.length >> 1]!, itemsDone: 16, itemsFailed: 0, bytes: 1 };
};

// The walk's cells (medians and ranges, ms) at 1 and 4 workers.
const walk = [p('queue', 1, [1610, 1720, 1810]), p('queue', 4, [500, 530, 590]), p('adaptive', 1, [660, 740, 760]), p('adaptive', 4, [370, 430, 600])];

describe('lab time series', () => {
  it('one curve per strategy, each cell its median time and its fastest-slowest run, in seconds', () => {
    const a = analyseLab(walk);
    const series = labTimeSeries(a.rows, (s) => s);
    expect(series).toEqual([
      { label: 'queue', points: [{ workers: 1, seconds: 1.72, lo: 1.61, hi: 1.81, runs: 3 }, { workers: 4, seconds: 0.53, lo: 0.5, hi: 0.59, runs: 3 }] },
      { label: 'adaptive', points: [{ workers: 1, seconds: 0.74, lo: 0.66, hi: 0.76, runs: 3 }, { workers: 4, seconds: 0.43, lo: 0.37, hi: 0.6, runs: 3 }] },
    ]);
  });

  it('names the fastest strategy at each worker count only where its runs beat the others\' (ranges apart), where the speedup chart ranks them the other way', () => {
    const a = analyseLab(walk);
    const at4 = (label: string) => a.series.find((s) => s.label === label)!.rows.find((r) => r.workers === 4)!.speedup;
    expect(at4('queue')).toBeGreaterThan(at4('adaptive'));
    const f = fastestByWorkers(labTimeSeries(a.rows, (s) => s));
    // At 1 worker adaptive's slowest run (0.76 s) beat queue's fastest (1.61 s): a clear winner.
    // At 4 adaptive's median is lower (0.43 s against 0.53 s) but its runs went 0.37–0.60 s and queue's 0.50–0.59 s: no clear winner (HE s17, 63ed060).
    expect(f).toMatchObject([
      { workers: 1, label: 'adaptive', seconds: 0.74, verdict: 'clear', tied: ['adaptive'], runs: 3 },
      { workers: 4, label: 'adaptive', seconds: 0.43, verdict: 'overlap', tied: ['adaptive', 'queue'], runs: 3 },
    ]);
    expect(f.map(fastestText)).toEqual([
      'at 1, adaptive (0.74 s; its slowest run beat the others\' fastest)',
      'at 4, no clear winner: adaptive 0.43 s, queue 0.53 s (their runs\' fastest–slowest ranges overlap)',
    ]);
  });

  it('with one run per cell it names the fastest run and says it is one run', () => {
    const f = fastestByWorkers(labTimeSeries(analyseLab([p('queue', 2, [900]), p('adaptive', 2, [800])]).rows, (s) => s));
    expect(f).toMatchObject([{ workers: 2, label: 'adaptive', seconds: 0.8, verdict: 'one-run', tied: ['adaptive'], runs: 1 }]);
    expect(fastestText(f[0]!)).toBe('at 2, adaptive by one run each (0.80 s against 0.90 s; repeat the cells to know)');
  });

  it('a serial cell is a curve of one point; a cell without a time is left out', () => {
    const series = labTimeSeries(analyseLab([p('serial', 1, [2000]), p('queue', 1, [0])]).rows, (s) => s);
    expect(series).toEqual([{ label: 'serial', points: [{ workers: 1, seconds: 2, lo: 2, hi: 2, runs: 1 }] }]);
  });
});
