import type { LabPoint } from '../../shared/ipc';
import { availableParallelism } from 'node:os';
import { checkOutputFolder } from '../engine/inputs/file-checks';
import { makeDirs } from '../engine/output/make-dirs';
import { withLabResults } from '../engine/lab/lab-results-claim';
import { NO_SAMPLE_BOOKS, readSampleBooks, runScrubLab, scrubInputProblem, scrubLabLabel, type ScrubExecutorKind } from '../engine/lab/scrub-lab';
import { LAB_TITLES } from '../../shared/lab/lab-titles';
import { EXIT } from './exit-codes';
import { measureInTerminal, reportLab } from './run-lab-in-terminal';

/** `fanout lab scrub`: reads the sample, runs the grid (Ctrl-C cancels), reports like every lab. */
export async function runScrubLabInTerminal(o: { input: string; sample: number; executors: ScrubExecutorKind[]; workerCounts: number[]; repeats: number; outDir: string; json: boolean }): Promise<number> {
  const problem = await scrubInputProblem(o.input);
  if (problem) return badInput(`--input ${o.input}: ${problem}`);
  const outProblem = await checkOutputFolder(o.outDir);
  if (outProblem) return badInput(`--out-dir ${o.outDir}: ${outProblem}`);
  const books = await readSampleBooks(o.input, o.sample);
  if (books.length === 0) return badInput(`--input ${o.input}: ${NO_SAMPLE_BOOKS}`);
  await makeDirs(o.outDir);
  // No output lock (it may run beside a job), but one lab's results per folder at a time (lab/lab-results-claim.ts).
  return withLabResults(o.outDir, 'scrub', () => measureAndReport(o, books));
}

async function measureAndReport(o: { executors: ScrubExecutorKind[]; workerCounts: number[]; repeats: number; outDir: string; json: boolean }, books: Buffer[]): Promise<number> {
  const cores = availableParallelism();
  process.stderr.write(`lab scrub: ${books.length} books, ${o.executors.join(' and ')} × ${o.workerCounts.join(',')} workers, ${cores} cores\n`);
  const { points, status, error } = await measureInTerminal<LabPoint>(
    (signal, onPoint) => runScrubLab({ books, executors: o.executors, workerCounts: o.workerCounts, repeats: o.repeats, signal, onPoint }),
    (p) => `${p.scrubExecutor} ×${p.workers}`,
  );
  return reportLab({
    points, status, error, outDir: o.outDir, json: o.json,
    title: LAB_TITLES.scrub(books.length, cores),
    analysis: { cores, label: scrubLabLabel },
  });
}

function badInput(line: string): number {
  process.stderr.write(`error: ${line}\n`);
  return EXIT.badInput;
}
