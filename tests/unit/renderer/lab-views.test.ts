/** The Lab screen's glue: the I/O vs CPU view and the timeline numbers, from measured points only. */
import { describe, expect, it } from 'vitest';
import type { LabPoint, LabTimeline } from '../../../shared/ipc';
import { analyseLab } from '../../../shared/lab/lab-analysis';
import { scrubLabLabel } from '../../../shared/lab/lab-labels';
import { ioCpuView } from '../../../renderer/src/lib/io-cpu';
import { labResult } from '../../../renderer/src/lib/lab-results';
import { describeTimeline, timelineStats } from '../../../renderer/src/lib/lab-timeline-stats';

const p = (strategy: LabPoint['strategy'], workers: number, ms: number, scrubExecutor: LabPoint['scrubExecutor'] = 'threads'): LabPoint => ({ strategy, scrubExecutor, workers, wallMs: [ms], medianMs: ms, itemsDone: 8, itemsFailed: 0, bytes: 8000 });
// Downloads keep gaining past 2 cores; scrubbing stops at them.
const download = [p('queue', 1, 800), p('queue', 2, 400), p('queue', 4, 200), p('queue', 8, 110)];
const scrub = [p('queue', 1, 400), p('queue', 2, 210), p('queue', 4, 215), p('queue', 1, 500, 'processes'), p('queue', 2, 260, 'processes'), p('queue', 4, 265, 'processes')];

describe('I/O-bound vs CPU-bound view', () => {
  it('puts the download curve and both scrub curves on one chart, with shared/lab\'s core notes for each', () => {
    const v = ioCpuView(download, scrub, 2)!;
    expect(v.series.map((s) => s.label)).toEqual(['download, queue', 'scrub in threads', 'scrub in child processes']);
    expect(v.series[0]!.rows.map((r) => r.workers)).toEqual([1, 2, 4, 8]);
    expect(v.notes).toHaveLength(3);
    expect(v.notes[0]).toMatch(/^download, queue: best speedup 7\.27× at 8 workers on this machine's 2 cores: it still grew past the core count, so this stage is not CPU-bound here\.$/);
    expect(v.notes[1]).toMatch(/^scrub in threads: best speedup 1\.90× at 2 workers .*no gain past the core count/);
    // The scrub sentences are those `fanout lab scrub` prints (its labels aside).
    const cli = analyseLab(scrub, { cores: 2, label: scrubLabLabel }).notes.filter((n) => n.includes("this machine's 2 cores"));
    expect(v.notes.slice(1).map((n) => n.replace(/^scrub in /, ''))).toEqual(cli);
  });

  it('is absent until both labs have curves', () => {
    expect(ioCpuView([], scrub, 2)).toBeNull();
    expect(ioCpuView(download, [], 2)).toBeNull();
    expect(ioCpuView([p('serial', 1, 900)], scrub, 2)).toBeNull();
  });
});

describe('lab results as the CLI makes them', () => {
  it('the scrub lab is analysed with the host\'s cores and names curves by executor; the Gutenberg lab with its cap', () => {
    const s = labResult('scrub', scrub, { title: 'Fanout lab: scrub, 8 books, 2 cores', cores: 2, rateCap: null });
    expect(s.type === 'speedup' && s.analysis.series.map((x) => x.label)).toEqual(['threads', 'child processes']);
    expect(s.files.svg).toContain('Fanout lab: scrub, 8 books, 2 cores');
    expect(s.files.csv.trimEnd().split('\n')).toHaveLength(1 + scrub.length);
    expect(JSON.parse(s.files.json)).toMatchObject({ points: scrub });
    const g = labResult('gutenberg', download, { title: 't', cores: 2, rateCap: 9000 });
    expect(g.type === 'speedup' && g.analysis.notes.at(-1)).toMatch(/cap/);
  });
});

describe('timeline numbers', () => {
  const t: LabTimeline = {
    role: 'slowest', strategy: 'queue', workers: 2, wallMs: 1000, droppedSpans: 0,
    spans: [
      { worker: 0, state: 'connecting', item: null, start: 0, end: 100 },
      { worker: 0, state: 'downloading', item: 'INBOX 1', start: 100, end: 400 },
      { worker: 0, state: 'connecting', item: null, start: 400, end: 500 },
      { worker: 0, state: 'downloading', item: 'INBOX 2', start: 500, end: 990 },
      { worker: 1, state: 'connecting', item: null, start: 0, end: 120 },
      { worker: 1, state: 'downloading', item: 'INBOX 3', start: 120, end: 300 },
      { worker: 1, state: 'idle', item: null, start: 300, end: 990 },
    ],
  };
  it('counts the connecting spans and the tail between the first and the last lane to finish', () => {
    expect(timelineStats(t)).toEqual({ connects: 3, connectMs: 320, lanesUsed: 2, firstLaneDoneMs: 300, lastLaneDoneMs: 990 });
    expect(describeTimeline(t)).toBe('queue with 2 connections, 1.00 s: connecting 3 times (opening a connection or selecting a folder; 0.32 s summed over lanes); the first lane finished at 0.30 s, the last at 0.99 s (a tail of 0.69 s).');
  });
});
