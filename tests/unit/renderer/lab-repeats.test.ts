/**
 * A speedup lab repeats each cell by default, so the chart has a spread to draw (the dashboard
 * design: k ≥ 3 runs per worker count, the median as the point, the spread as a bar); what Run will
 * do is said before it is clicked (runs = cells × repeats, as the engine builds the cells); and the
 * bars are the cell's fastest and slowest run over the same base as its point.
 */
import { describe, expect, it } from 'vitest';
import type { LabPoint } from '../../../shared/ipc';
import { analyseLab } from '../../../shared/lab/lab-analysis';
import { labCellCount, labPlanLine } from '../../../renderer/src/lib/lab-requests';
import { speedupSpread, spreadNote } from '../../../renderer/src/lib/speedup-spread';
import { useLabStore, type LabConfigs } from '../../../renderer/src/stores/lab-store';

const defaults = useLabStore.getState().configs;

const point = (strategy: LabPoint['strategy'], workers: number, wallMs: number[]): LabPoint => {
  const sorted = [...wallMs].sort((a, b) => a - b);
  return { strategy, workers, scrubExecutor: 'threads', wallMs, medianMs: sorted[sorted.length >> 1]!, itemsDone: 4, itemsFailed: 0, bytes: 4000 };
};

describe('lab repeats', () => {
  it('each speedup lab (gutenberg, scrub, mail) runs every cell 3 times by default', () => {
    expect([defaults.gutenberg.repeats, defaults.scrub.repeats, defaults.mail.repeats]).toEqual([3, 3, 3]);
  });

  it('the default Gutenberg grid stays within 30 runs of its sample (about what one repeat of the old grid took ×3)', () => {
    expect(labCellCount('gutenberg', defaults) * defaults.gutenberg.repeats).toBeLessThanOrEqual(30);
  });

  it('counts cells as the engine does: serial one cell, a repeated worker count once, the scrub-executor comparison one more', () => {
    const c: LabConfigs = { ...defaults, gutenberg: { ...defaults.gutenberg, strategies: ['serial', 'queue', 'adaptive'], workerCounts: [1, 2, 2, 4], compareScrubExecutors: true, repeats: 2, sampleSize: 8 } };
    expect(labCellCount('gutenberg', c)).toBe(1 + 3 + 3 + 1);
    expect(labPlanLine('gutenberg', c)).toBe('16 runs (8 cells × 2 repeats), 8 books each');
    const m: LabConfigs = { ...defaults, mail: { ...defaults.mail, strategies: ['serial', 'split'], connectionCounts: [1, 2], repeats: 1 } };
    expect(labPlanLine('mail', m)).toBe('3 runs (3 cells × 1 repeat), each an archive of the folders');
    const s: LabConfigs = { ...defaults, scrub: { ...defaults.scrub, executors: ['threads'], workerCounts: [1], repeats: 1, sampleSize: 1 } };
    expect(labPlanLine('scrub', s)).toBe('1 run (1 cell × 1 repeat), 1 book each');
  });

  it('a bar spans the speedups of the slowest and the fastest run of the cell, over the point\'s own base', () => {
    const a = analyseLab([point('queue', 1, [1000, 1100, 900]), point('queue', 2, [600, 500, 550])]);
    const [queue] = speedupSpread(a);
    expect(queue!.label).toBe('queue');
    // Base: T(1) median = 1000 ms. At 2 workers the point is 1000/550; the runs 500..600 give 1000/600..1000/500.
    expect(queue!.bars).toEqual([
      { workers: 1, lo: 1000 / 1100, hi: 1000 / 900, runs: 3 },
      { workers: 2, lo: 1000 / 600, hi: 1000 / 500, runs: 3 },
    ]);
    const row = a.series[0]!.rows.find((r) => r.workers === 2)!;
    expect(queue!.bars[1]!.lo).toBeLessThanOrEqual(row.speedup);
    expect(queue!.bars[1]!.hi).toBeGreaterThanOrEqual(row.speedup);
    expect(spreadNote(speedupSpread(a), a.rows)).toBe("Bars: each cell's fastest to slowest of its 3 runs (the point is their median).");
  });

  it('one run per cell: no bars, and the note says how to get them', () => {
    const a = analyseLab([point('queue', 1, [1000]), point('queue', 2, [550])]);
    expect(speedupSpread(a)).toEqual([{ label: 'queue', bars: [] }]);
    expect(spreadNote(speedupSpread(a), a.rows)).toMatch(/^One run per cell: no spread to show\. Set Repeats to 3/);
  });
});
