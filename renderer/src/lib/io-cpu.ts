/**
 * "I/O-bound vs CPU-bound" (issue 11, experiment 2): the download speedup of the last Gutenberg lab
 * beside the scrub speedup in threads and in child processes of the last scrub lab, on one chart,
 * with the notes shared/lab writes when it places each curve against the machine's cores.
 */
import type { LabPoint } from '../../../shared/ipc';
import { analyseLab, type LabAnalysisOptions, type LabSeries } from '../../../shared/lab/lab-analysis';
import { scrubLabLabel } from '../../../shared/lab/lab-labels';

export interface IoCpuView {
  series: LabSeries[];
  notes: string[];
  cores: number;
}

const downloadLabel = (s: string, e: 'threads' | 'processes') => `download, ${s}${e === 'processes' ? ' (scrub in processes)' : ''}`;
const scrubLabel = (s: string, e: 'threads' | 'processes') => `scrub in ${scrubLabLabel(s, e)}`;

/** The notes that placing a curve against `cores` adds (the lab's own notes are on its panel). */
function coreNotes(points: readonly LabPoint[], opts: LabAnalysisOptions, cores: number): string[] {
  const without = new Set(analyseLab(points, opts).notes);
  return analyseLab(points, { ...opts, cores }).notes.filter((n) => !without.has(n));
}

/** Null until both labs have measured points (and curves) to compare. */
export function ioCpuView(download: readonly LabPoint[], scrub: readonly LabPoint[], cores: number): IoCpuView | null {
  const d = analyseLab(download, { label: downloadLabel });
  const s = analyseLab(scrub, { label: scrubLabel });
  // Only the download curves of threads: a lone processes cell of the Gutenberg lab is no curve of downloads.
  const dSeries = d.series.filter((x) => x.scrubExecutor === 'threads');
  if (dSeries.length === 0 || s.series.length === 0) return null;
  return {
    series: [...dSeries, ...s.series],
    notes: [...coreNotes(download, { label: downloadLabel }, cores).filter((n) => !n.includes('(scrub in processes)')), ...coreNotes(scrub, { label: scrubLabel }, cores)],
    cores,
  };
}
