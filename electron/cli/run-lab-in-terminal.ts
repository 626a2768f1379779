import type { LabEvent, LabPoint, LabRequest } from '../../shared/ipc';
import type { GutenbergJobSpec } from '../../shared/job-spec';
import { analyseLab } from '../../shared/lab/lab-analysis';
import { runGutenbergJob } from '../engine/gutenberg/run-gutenberg-job';
import { LabRunner } from '../engine/jobs/lab-runner';
import { formatLabReport, writeLabFiles } from '../engine/lab/lab-report';
import { EXIT } from './exit-codes';

/**
 * Runs a Gutenberg lab from the terminal: one line per cell on stderr as it ends, then the table
 * with the fits and notes (or JSON) on stdout and the files in the output folder. Ctrl-C cancels.
 * Returns the exit code: 0 every cell succeeded, 1 a cell had failed items or the lab stopped, 130 cancelled.
 */
export async function runLabInTerminal(req: LabRequest & { spec: GutenbergJobSpec }, opts: { json: boolean }): Promise<number> {
  let finished: Extract<LabEvent, { kind: 'lab:finished' }> | null = null;
  const runner = new LabRunner(runGutenbergJob, (e) => {
    if (e.kind === 'lab:started') process.stderr.write(`lab: ${e.cells} cells × ${req.repeats} run${req.repeats === 1 ? '' : 's'}, ${req.sampleSize} books each\n`);
    else if (e.kind === 'lab:point') process.stderr.write(`  ${e.done}/${e.cells} ${cellName(e.point)}: ${(e.point.medianMs / 1000).toFixed(2)} s, ${e.point.itemsDone} done, ${e.point.itemsFailed} failed\n`);
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
  const analysis = analyseLab(points);
  if (points.length > 0) {
    const files = await writeLabFiles(req.spec.outDir, points, analysis, `Fanout lab: gutenberg, ${req.sampleSize} books`);
    process.stderr.write(`wrote ${files.csv}, ${files.svg}, ${files.json}\n`);
  }
  if (opts.json) process.stdout.write(JSON.stringify({ status: end?.status ?? 'failed', error: end?.error, points, analysis }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  else process.stdout.write(formatLabReport(analysis));
  if (end?.error) process.stderr.write(`lab stopped: ${end.error.code}: ${end.error.message}\n`);
  process.stderr.write(`lab ${end?.status ?? 'failed'}: ${points.length} cell${points.length === 1 ? '' : 's'} measured\n`);
  return end?.status === 'succeeded' ? EXIT.ok : end?.status === 'cancelled' ? EXIT.cancelled : EXIT.failures;
}

function cellName(p: LabPoint): string {
  return `${p.strategy} ×${p.workers}${p.scrubExecutor === 'processes' ? ' (processes)' : ''}`;
}
