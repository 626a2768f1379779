import { availableParallelism } from 'node:os';
import { mkdir, stat } from 'node:fs/promises';
import { isAbortError, toFanoutError } from '../engine/core/fanout-error';
import { readSampleBooks, runScrubLab, scrubLabLabel, type ScrubExecutorKind } from '../engine/lab/scrub-lab';
import type { LabPoint } from '../../shared/ipc';
import { EXIT } from './exit-codes';
import { reportLab } from './run-lab-in-terminal';

/** `fanout lab scrub`: reads the sample, runs the grid (Ctrl-C cancels), reports like every lab. */
export async function runScrubLabInTerminal(o: { input: string; sample: number; executors: ScrubExecutorKind[]; workerCounts: number[]; repeats: number; outDir: string; json: boolean }): Promise<number> {
  const kind = await stat(o.input).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => 'missing');
  if (kind !== 'dir') return badInput(`--input ${o.input}: ${kind === 'missing' ? 'no such folder; check the path' : 'is a file, not a folder; give a folder'}`);
  const books = await readSampleBooks(o.input, o.sample);
  if (books.length === 0) return badInput(`--input ${o.input}: holds no .txt file; give a folder of raw books`);
  await mkdir(o.outDir, { recursive: true });
  const cores = availableParallelism();
  process.stderr.write(`lab scrub: ${books.length} books, ${o.executors.join(' and ')} × ${o.workerCounts.join(',')} workers, ${cores} cores\n`);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(EXIT.cancelled);
    process.stderr.write('\ncancelling (Ctrl-C again to quit now)...\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const points: LabPoint[] = [];
  let status: 'succeeded' | 'failed' | 'cancelled' = 'succeeded';
  let error;
  try {
    await runScrubLab({
      books, executors: o.executors, workerCounts: o.workerCounts, repeats: o.repeats, signal: controller.signal,
      onPoint: (p, done, cells) => {
        points.push(p);
        process.stderr.write(`  ${done}/${cells} ${p.scrubExecutor} ×${p.workers}: ${(p.medianMs / 1000).toFixed(2)} s, ${p.itemsDone} done, ${p.itemsFailed} failed\n`);
      },
    });
    if (points.some((p) => p.itemsFailed > 0)) status = 'failed';
  } catch (err) {
    if (controller.signal.aborted || isAbortError(err)) status = 'cancelled';
    else [status, error] = ['failed', toFanoutError(err).toJSON()] as const;
  } finally {
    process.off('SIGINT', onSigint);
  }
  return reportLab({
    points, status, error, outDir: o.outDir, json: o.json,
    title: `Fanout lab: scrub, ${books.length} books, ${cores} cores`,
    analysis: { cores, label: scrubLabLabel },
  });
}

function badInput(line: string): number {
  process.stderr.write(`error: ${line}\n`);
  return EXIT.badInput;
}
