/**
 * What the Lab screen shows and exports for a lab run: the analysis of its points and the files, made
 * by the same shared functions with the same options as `fanout lab <kind>` (shared/lab/), so a
 * number, a sentence or a file's bytes are the same in the UI and the CLI.
 */
import type { AnyLabPoint, LabContext, LabKind, LabPoint } from '../../../shared/ipc';
import { analyseLab, type LabAnalysis, type LabAnalysisOptions } from '../../../shared/lab/lab-analysis';
import { labCsv, labSvg } from '../../../shared/lab/lab-files';
import { labJson } from '../../../shared/lab/lab-json';
import { scrubLabLabel } from '../../../shared/lab/lab-labels';
import { analyseQueueLab, queueCsv, queueSvg, type QueueAnalysis, type QueuePoint } from '../../../shared/lab/queue-analysis';
import { formatBytes } from '../../../shared/format-bytes';
import { redactUrl } from '../../../shared/input-checks';
import { runSpeedup } from '../../../shared/lab/speedup-fits';
import { analyseStragglerLab, stragglerCsv, stragglerSvg, type StragglerAnalysis, type StragglerPoint } from '../../../shared/lab/straggler-analysis';

/** lab.csv, lab.svg and lab.json as `fanout lab` writes them into its --out-dir. */
export interface LabFileSet {
  csv: string;
  svg: string;
  json: string;
}

export type LabResult =
  | { type: 'speedup'; analysis: LabAnalysis; files: LabFileSet }
  | { type: 'queue'; analysis: QueueAnalysis; files: LabFileSet }
  | { type: 'stragglers'; analysis: StragglerAnalysis; files: LabFileSet };

/** The analysis options each speedup lab's CLI command passes (gutenberg: its cap; scrub: cores and executor names; mail: none). */
export function analysisOptions(kind: Exclude<LabKind, 'queue' | 'stragglers'>, context: LabContext): LabAnalysisOptions {
  if (kind === 'scrub') return { cores: context.cores, label: scrubLabLabel };
  if (kind === 'gutenberg') return { rateCap: context.rateCap, maxPerHost: context.maxPerHost ?? null };
  return {};
}

export function labResult(kind: LabKind, points: readonly AnyLabPoint[], context: LabContext): LabResult {
  if (kind === 'stragglers') {
    const sp = points as StragglerPoint[];
    const analysis = analyseStragglerLab(sp, { rateCap: context.rateCap });
    return { type: 'stragglers', analysis, files: { csv: stragglerCsv(analysis.rows), svg: stragglerSvg(analysis, context.title), json: labJson({ points: sp, analysis }) } };
  }
  if (kind === 'queue') {
    const qp = points as QueuePoint[];
    const analysis = analyseQueueLab(qp);
    return { type: 'queue', analysis, files: { csv: queueCsv(analysis.rows), svg: queueSvg(analysis, context.title), json: labJson({ points: qp, analysis }) } };
  }
  const lp = points as LabPoint[];
  const analysis = analyseLab(lp, analysisOptions(kind, context));
  return { type: 'speedup', analysis, files: { csv: labCsv(analysis.rows), svg: labSvg(analysis, context.title), json: labJson({ points: lp, analysis }) } };
}

/** Export file names: the Gutenberg lab keeps its earlier names. */
export const exportName = (kind: LabKind, ext: 'csv' | 'svg' | 'json' | 'png') => `${kind === 'gutenberg' ? 'fanout-speedup' : `fanout-lab-${kind}`}.${ext}`;

/** A normal Gutenberg run to place on the lab's curves; `rateCap` is its cap (bytes/s, null: none), undefined when not known (a run from history). */
export interface NormalRun {
  workers: number;
  bytes: number;
  wallMs: number;
  label: string;
  rateCap?: number | null;
  /** The mirror it fetched from, when known (a run started from this page; a history entry once summaries carry it). */
  mirror?: string;
}

/** A mirror as summaries and lab contexts record it (redacted: no password), without its last slash. */
const mirrorKey = (m: string) => redactUrl(m.trim()).replace(/\/+$/, '');

/**
 * Where the normal run goes on the lab's speedup chart (its throughput over the lab's one-worker
 * throughput), or why it does not: a run under another bandwidth cap than the lab's cells moved at
 * another ceiling, so its ratio says nothing of its worker count (a 256 KiB/s run against an
 * uncapped lab came out 0.06×); nor does a run from another mirror (an FTP run on an HTTP lab's
 * curves read 4.78× at 4 workers). Either side's mirror unknown: placed as before.
 */
export function placeNormalRun(run: NormalRun | null, oneWorker: { bytes: number; ms: number } | null, labRateCap: number | null, labMirror?: string): { point: { workers: number; speedup: number; label: string } | null; note: string | null } {
  if (!run) return { point: null, note: null };
  const name = run.label;
  // Another mirror is another link and another server: its ratio to the lab's one-worker cell measures those, not its workers.
  if (run.mirror !== undefined && labMirror !== undefined && mirrorKey(run.mirror) !== mirrorKey(labMirror)) {
    return { point: null, note: `The ${name} fetched from ${redactUrl(run.mirror)}, the lab's cells from ${redactUrl(labMirror)}: its speed is not comparable, so it is not placed on the curves.` };
  }
  if (run.rateCap !== undefined && (run.rateCap ?? null) !== (labRateCap ?? null)) {
    const cap = (c: number | null) => (c === null ? 'no cap' : `a cap of ${formatBytes(c)}/s`);
    return { point: null, note: `The ${name} ran under ${cap(run.rateCap)}, the lab's cells under ${cap(labRateCap)}: its speed is not comparable, so it is not placed on the curves.` };
  }
  const speedup = runSpeedup(run, oneWorker);
  return speedup === null ? { point: null, note: null } : { point: { workers: run.workers, speedup, label: `${name}: ${speedup.toFixed(2)}×` }, note: null };
}
