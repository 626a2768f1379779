/**
 * The lab kinds besides the Gutenberg grid, as `LabPlan`s for `LabRunner`: each calls the engine
 * function its `fanout lab <kind>` command calls (engine/lab/*.ts), so the UI and the CLI measure
 * the same way; only the reporting differs (events here, a table and files there). The engine
 * modules are imported when a lab of their kind starts (the mail engine is not loaded for a scrub lab).
 */
import { availableParallelism } from 'node:os';
import type { LabPoint, MailLabInput, QueueLabInput, ScrubLabInput, StragglerLabInput } from '../../../shared/ipc';
import type { GutenbergJobSpec, MailJobSpec } from '../../../shared/job-spec';
import { LAB_TITLES } from '../../../shared/lab/lab-titles';
import { redactUrl } from '../../../shared/input-checks';
import type { QueuePoint } from '../../../shared/lab/queue-analysis';
import type { StragglerPoint } from '../../../shared/lab/straggler-analysis';
import { FanoutError } from '../core/fanout-error';
import { labSampleSize, type LabPlan } from './lab-runner';
import { LabTimelines } from './lab-timelines';

/** A scrub lab's books: the first `sampleSize` .txt files under the folder, read once; refused with BAD_INPUT when there are none. */
export async function scrubLabPlan(req: ScrubLabInput): Promise<LabPlan<LabPoint>> {
  const { NO_SAMPLE_BOOKS, readSampleBooks, runScrubLab, scrubInputProblem } = await import('../lab/scrub-lab');
  const problem = await scrubInputProblem(req.input);
  if (problem) throw new FanoutError('BAD_INPUT', `input ${req.input}: ${problem}`, { path: req.input });
  const books = await readSampleBooks(req.input, req.sampleSize);
  if (books.length === 0) throw new FanoutError('BAD_INPUT', `input ${req.input}: ${NO_SAMPLE_BOOKS}`, { path: req.input });
  const cores = availableParallelism();
  const counts = new Set(req.workerCounts).size;
  return {
    lab: 'scrub',
    cells: new Set(req.executors).size * counts,
    context: { title: LAB_TITLES.scrub(books.length, cores), cores, rateCap: null },
    async measure(signal, onPoint) {
      await runScrubLab({ books, executors: req.executors, workerCounts: req.workerCounts, repeats: req.repeats, signal, onPoint });
      return {};
    },
  };
}

/** A queue lab: the sample (`sampleSize` books of the selection, labSampleSize) once per bound, with the job's workers and strategy. */
export async function queueLabPlan(req: Omit<QueueLabInput, 'spec'> & { spec: GutenbergJobSpec }, checked: { selected?: number | undefined } = {}): Promise<LabPlan<QueuePoint>> {
  const sample = await labSampleSize(req.spec, req.sampleSize, checked);
  const spec: GutenbergJobSpec = { ...req.spec, selection: { ...req.spec.selection, limit: sample } };
  return {
    lab: 'queue',
    cells: new Set(req.bounds).size,
    context: { title: LAB_TITLES.queue(sample, spec.workers), cores: availableParallelism(), rateCap: spec.limitRate ?? null, mirror: redactUrl(spec.mirror) },
    async measure(signal, onPoint) {
      const { runQueueLab } = await import('../lab/queue-lab');
      await runQueueLab({ spec, bounds: req.bounds, repeats: req.repeats, signal, onPoint });
      return {};
    },
  };
}

/** A mail lab: the account under each strategy × connections; ends with the fastest and slowest cells' timelines. */
export async function mailLabPlan(req: Omit<MailLabInput, 'spec'> & { spec: MailJobSpec }): Promise<LabPlan<LabPoint>> {
  const { mailLabCells, runMailLab } = await import('../lab/mail-lab');
  return {
    lab: 'mail',
    cells: mailLabCells(req.strategies, req.connectionCounts).length,
    context: { title: LAB_TITLES.mail(req.spec.account.host), cores: availableParallelism(), rateCap: null },
    async measure(signal, onPoint) {
      const timelines = new LabTimelines();
      const points = await runMailLab({ spec: req.spec, strategies: req.strategies, connectionCounts: req.connectionCounts, repeats: req.repeats, signal, onPoint, onRunEvent: timelines.onRunEvent });
      return { timelines: timelines.pick(points) };
    },
  };
}

/** A stragglers lab: the sample (labSampleSize) once per per-item timeout (null: none), with the job's workers and strategy. */
export async function stragglerLabPlan(req: Omit<StragglerLabInput, 'spec'> & { spec: GutenbergJobSpec }, checked: { selected?: number | undefined } = {}): Promise<LabPlan<StragglerPoint>> {
  const sample = await labSampleSize(req.spec, req.sampleSize, checked);
  const spec: GutenbergJobSpec = { ...req.spec, selection: { ...req.spec.selection, limit: sample } };
  return {
    lab: 'stragglers',
    cells: new Set(req.timeouts).size,
    context: { title: LAB_TITLES.stragglers(sample, spec.workers), cores: availableParallelism(), rateCap: spec.limitRate ?? null, mirror: redactUrl(spec.mirror) },
    async measure(signal, onPoint) {
      const { runStragglerLab } = await import('../lab/straggler-lab');
      await runStragglerLab({ spec, timeouts: req.timeouts, repeats: req.repeats, signal, onPoint });
      return {};
    },
  };
}
