import type { LabEvent, LabPoint, LabRequest } from '../../shared/ipc';
import type { GutenbergJobSpec } from '../../shared/job-spec';
import type { SerializedError } from '../../shared/errors';
import { analyseLab, type LabAnalysisOptions } from '../../shared/lab/lab-analysis';
import { isAbortError, toFanoutError } from '../engine/core/fanout-error';
import { runGutenbergJob } from '../engine/gutenberg/run-gutenberg-job';
import { LabRunner } from '../engine/jobs/lab-runner';
import { formatLabReport, labJson, writeLabFileSet } from '../engine/lab/lab-report';
import { labCsv, labSvg } from '../../shared/lab/lab-files';
import { LAB_TITLES } from '../../shared/lab/lab-titles';
import { notInCatalogLine, type LabNotInCatalog } from '../engine/lab/lab-not-in-catalog';
import { EXIT } from './exit-codes';

/**
 * Runs a Gutenberg lab from the terminal: one line per cell on stderr as it ends, then the table
 * with the fits and notes (or JSON) on stdout and the files in the output folder. Ctrl-C cancels.
 * Returns the exit code (see reportLab).
 */
export async function runLabInTerminal(req: LabRequest & { spec: GutenbergJobSpec }, opts: { json: boolean; notInCatalog?: LabNotInCatalog | undefined }): Promise<number> {
  let finished: Extract<LabEvent, { kind: 'lab:finished' }> | null = null;
  const runner = new LabRunner(runGutenbergJob, (e) => {
    if (e.kind === 'lab:started') process.stderr.write(`lab: ${e.cells} cells × ${req.repeats} run${req.repeats === 1 ? '' : 's'}, ${req.sampleSize} books each\n`);
    else if (e.kind === 'lab:point') process.stderr.write(cellLine(e.point, e.done, e.cells));
    else finished = e;
  });
  const { labId, done } = runner.start(req);
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(EXIT.cancelled);
    process.stderr.write('\ncancelling (Ctrl-C again to quit now)...\n');
    runner.cancel(labId);
  };
  process.on('SIGINT', onSigint);
  let points: LabPoint[];
  try {
    points = await done;
  } finally {
    process.off('SIGINT', onSigint);
  }
  const end = finished as Extract<LabEvent, { kind: 'lab:finished' }> | null;
  return reportLab({ points, status: end?.status ?? 'failed', error: end?.error, outDir: req.spec.outDir, title: LAB_TITLES.gutenberg(req.sampleSize), json: opts.json, analysis: { rateCap: req.spec.limitRate ?? null, maxPerHost: req.spec.maxPerHost ?? null }, notInCatalog: opts.notInCatalog });
}

/**
 * The end of any lab in the terminal: the files into `outDir`, the table (or JSON) on stdout, the
 * status on stderr; returns the exit code (0 succeeded, 1 failed, 130 cancelled).
 */
export async function reportLab(r: { points: LabPoint[]; status: LabStatus; error?: SerializedError | undefined; outDir: string; title: string; json: boolean; analysis?: LabAnalysisOptions; notInCatalog?: LabNotInCatalog | undefined }): Promise<number> {
  const analysis = analyseLab(r.points, r.analysis);
  return finishLab({ ...r, cells: r.points.length, files: { csv: labCsv(analysis.rows), svg: labSvg(analysis, r.title), json: { points: r.points, analysis } }, text: formatLabReport(analysis) });
}

type LabStatus = 'succeeded' | 'failed' | 'cancelled';

/**
 * The end of any lab in the terminal: its files into `outDir` (when a cell was measured), its table
 * (or, with --json, the JSON of the files) on stdout, the status on stderr; returns the exit code.
 */
export async function finishLab(r: { cells: number; status: LabStatus; error?: SerializedError | undefined; outDir: string; json: boolean; files: { csv: string; svg: string; json: { points: unknown; analysis: unknown } }; text: string; notInCatalog?: LabNotInCatalog | undefined }): Promise<number> {
  // --allow-missing: the numbers not in the catalog are part of the result (lab.json, --json), and said on stderr.
  if (r.notInCatalog) r = { ...r, files: { ...r.files, json: { ...r.files.json, notInCatalog: r.notInCatalog } as typeof r.files.json } };
  if (r.cells > 0) {
    const files = await writeLabFileSet(r.outDir, r.files);
    process.stderr.write(`wrote ${files.csv}, ${files.svg}, ${files.json}\n`);
  }
  process.stdout.write(r.json ? labJson({ status: r.status, error: r.error, ...r.files.json }) : r.text);
  if (r.notInCatalog) process.stderr.write(notInCatalogLine(r.notInCatalog));
  if (r.error) process.stderr.write(`lab stopped: ${r.error.code}: ${r.error.message}\n`);
  process.stderr.write(`lab ${r.status}: ${r.cells} cell${r.cells === 1 ? '' : 's'} measured\n`);
  return r.status === 'succeeded' ? EXIT.ok : r.status === 'cancelled' ? EXIT.cancelled : EXIT.failures;
}

/**
 * Runs a lab's grid with Ctrl-C as cancel, one line per cell on stderr as it ends; the points so
 * far are kept whatever happens. `failed` when a cell had failed items or the grid stopped.
 */
export async function measureInTerminal<P extends { medianMs: number; itemsDone: number; itemsFailed: number }>(run: (signal: AbortSignal, onPoint: (p: P, done: number, cells: number) => void) => Promise<unknown>, name: (p: P) => string): Promise<{ points: P[]; status: LabStatus; error?: SerializedError }> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(EXIT.cancelled);
    process.stderr.write('\ncancelling (Ctrl-C again to quit now)...\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const points: P[] = [];
  try {
    await run(controller.signal, (p, done, cells) => {
      points.push(p);
      process.stderr.write(`  ${done}/${cells} ${name(p)}: ${(p.medianMs / 1000).toFixed(2)} s, ${p.itemsDone} done, ${p.itemsFailed} failed\n`);
    });
    return { points, status: points.some((p) => p.itemsFailed > 0) ? 'failed' : 'succeeded' };
  } catch (err) {
    if (controller.signal.aborted || isAbortError(err)) return { points, status: 'cancelled' };
    return { points, status: 'failed', error: toFanoutError(err).toJSON() };
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function cellLine(p: LabPoint, done: number, cells: number): string {
  return `  ${done}/${cells} ${cellName(p)}: ${(p.medianMs / 1000).toFixed(2)} s, ${p.itemsDone} done, ${p.itemsFailed} failed\n`;
}

function cellName(p: LabPoint): string {
  return `${p.strategy} ×${p.workers}${p.scrubExecutor === 'processes' ? ' (processes)' : ''}`;
}
