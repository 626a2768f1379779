import type { LabPoint } from '../../shared/ipc';
import { availableParallelism } from 'node:os';
import { mkdir, stat } from 'node:fs/promises';
import { readSampleBooks, runScrubLab, scrubLabLabel, type ScrubExecutorKind } from '../engine/lab/scrub-lab';
import { LAB_TITLES } from '../../shared/lab/lab-titles';
import { EXIT } from './exit-codes';
import { measureInTerminal, reportLab } from './run-lab-in-terminal';

/** `fanout lab scrub`: reads the sample, runs the grid (Ctrl-C cancels), reports like every lab. */
export async function runScrubLabInTerminal(o: { input: string; sample: number; executors: ScrubExecutorKind[]; workerCounts: number[]; repeats: number; outDir: string; json: boolean }): Promise<number> {
  const kind = await stat(o.input).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => 'missing');
  if (kind !== 'dir') return badInput(`--input ${o.input}: ${kind === 'missing' ? 'no such folder; check the path' : 'is a file, not a folder; give a folder'}`);
  const books = await readSampleBooks(o.input, o.sample);
  if (books.length === 0) return badInput(`--input ${o.input}: holds no .txt file; give a folder of raw books`);
  await mkdir(o.outDir, { recursive: true });
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
