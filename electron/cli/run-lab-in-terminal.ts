import type { LabEvent, LabPoint, LabRequest } from '../../shared/ipc';
import type { GutenbergJobSpec } from '../../shared/job-spec';
import type { SerializedError } from '../../shared/errors';
import { analyseLab, type LabAnalysisOptions } from '../../shared/lab/lab-analysis';
import { isAbortError, toFanoutError } from '../engine/core/fanout-error';
import { runGutenbergJob } from '../engine/gutenberg/run-gutenberg-job';
import { LabRunner } from '../engine/jobs/lab-runner';
import { formatLabReport, writeLabFiles } from '../engine/lab/lab-report';
import { EXIT } from './exit-codes';

/**
 * Runs a Gutenberg lab from the terminal: one line per cell on stderr as it ends, then the table
 * with the fits and notes (or JSON) on stdout and the files in the output folder. Ctrl-C cancels.
 * Returns the exit code (see reportLab).
 */
export async function runLabInTerminal(req: LabRequest & { spec: GutenbergJobSpec }, opts: { json: boolean }): Promise<number> {
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
  return reportLab({ points, status: end?.status ?? 'failed', error: end?.error, outDir: req.spec.outDir, title: `Fanout lab: gutenberg, ${req.sampleSize} books`, json: opts.json });
}

/**
 * The end of any lab in the terminal: the files into `outDir`, the table (or JSON) on stdout, the
 * status on stderr; returns the exit code (0 succeeded, 1 failed, 130 cancelled).
 */
export async function reportLab(r: { points: LabPoint[]; status: 'succeeded' | 'failed' | 'cancelled'; error?: SerializedError | undefined; outDir: string; title: string; json: boolean; analysis?: LabAnalysisOptions }): Promise<number> {
  const analysis = analyseLab(r.points, r.analysis);
  if (r.points.length > 0) {
    const files = await writeLabFiles(r.outDir, r.points, analysis, r.title);
    process.stderr.write(`wrote ${files.csv}, ${files.svg}, ${files.json}\n`);
  }
  if (r.json) process.stdout.write(JSON.stringify({ status: r.status, error: r.error, points: r.points, analysis }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  else process.stdout.write(formatLabReport(analysis));
  if (r.error) process.stderr.write(`lab stopped: ${r.error.code}: ${r.error.message}\n`);
  process.stderr.write(`lab ${r.status}: ${r.points.length} cell${r.points.length === 1 ? '' : 's'} measured\n`);
  return r.status === 'succeeded' ? EXIT.ok : r.status === 'cancelled' ? EXIT.cancelled : EXIT.failures;
}

/**
 * Runs a lab's grid with Ctrl-C as cancel, one line per cell on stderr as it ends; the points so
 * far are kept whatever happens. `failed` when a cell had failed items or the grid stopped.
 */
export async function measureInTerminal(run: (signal: AbortSignal, onPoint: (p: LabPoint, done: number, cells: number) => void) => Promise<unknown>, name: (p: LabPoint) => string = cellName): Promise<{ points: LabPoint[]; status: 'succeeded' | 'failed' | 'cancelled'; error?: SerializedError }> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(EXIT.cancelled);
    process.stderr.write('\ncancelling (Ctrl-C again to quit now)...\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const points: LabPoint[] = [];
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
