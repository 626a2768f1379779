/**
 * The `lab:run` request of each experiment from what the screens hold: the Gutenberg form and its
 * selection (the sample's source), the job's cap and wait (every cell runs under them), the lab's
 * grid. Pure, so what the UI sends is testable without a page.
 */
import type { GutenbergLabRunInput, LabRunInput } from '../../../shared/ipc';
import type { GutenbergJobInput, IdRange, MailAccount } from '../../../shared/job-spec';
import { capsSpecFields, type JobCaps } from '../stores/job-caps-store';
import type { LabConfigs } from '../stores/lab-store';

export interface GutenbergSource {
  /** The Gutenberg form's fields the lab takes (app-store's `form`). */
  form: { catalogPath: string; mirror: string; outDir: string };
  /** The loaded catalog's path on the host (else the form's). */
  catalogPath: string | null;
  /** The selected books as ranges; none: the whole catalog. */
  ids: IdRange[];
  caps: JobCaps;
}

/** The Gutenberg job a lab samples: workers and strategy are the lab's per cell (these only make the spec whole). */
export function labGutenbergSpec(src: GutenbergSource, workers: number, strategy: GutenbergJobInput['strategy']): GutenbergJobInput {
  return {
    kind: 'gutenberg',
    catalog: src.catalogPath ?? src.form.catalogPath,
    mirror: src.form.mirror.trim(),
    selection: src.ids.length ? { ids: src.ids } : {},
    workers,
    strategy,
    outDir: src.form.outDir.trim(),
    ...capsSpecFields(src.caps),
  };
}

export function gutenbergLabRequest(src: GutenbergSource, c: LabConfigs['gutenberg']): GutenbergLabRunInput {
  return { kind: 'gutenberg', spec: labGutenbergSpec(src, 1, 'queue'), strategies: c.strategies, workerCounts: c.workerCounts, sampleSize: c.sampleSize, repeats: c.repeats, compareScrubExecutors: c.compareScrubExecutors };
}

export function queueLabRequest(src: GutenbergSource, c: LabConfigs['queue']): LabRunInput {
  return { kind: 'queue', spec: labGutenbergSpec(src, c.workers, c.strategy), bounds: c.bounds, sampleSize: c.sampleSize, repeats: c.repeats };
}

/** The scrub lab's books: the folder typed, else the Gutenberg output folder's raw/ (what a download left). */
export function scrubInput(c: LabConfigs['scrub'], outDir: string): string {
  const typed = c.input.trim();
  if (typed) return typed;
  const base = outDir.trim().replace(/[\\/]+$/, '');
  return base ? `${base}/raw` : '';
}

export function scrubLabRequest(c: LabConfigs['scrub'], outDir: string): LabRunInput {
  return { kind: 'scrub', input: scrubInput(c, outDir), sampleSize: c.sampleSize, executors: c.executors, workerCounts: c.workerCounts, repeats: c.repeats };
}

/** `all`, or the folder paths separated by commas (as `fanout lab mail --folders`). */
export function mailFolders(text: string): 'all' | string[] {
  const t = text.trim();
  return t === '' || t.toLowerCase() === 'all' ? 'all' : t.split(',').map((f) => f.trim()).filter(Boolean);
}

export function mailLabRequest(account: MailAccount, c: LabConfigs['mail']): LabRunInput {
  return { kind: 'mail', spec: { kind: 'mail', account, folders: mailFolders(c.folders), connections: 1, strategy: 'serial', outDir: c.outDir.trim() }, strategies: c.strategies, connectionCounts: c.connectionCounts, repeats: c.repeats };
}

export function stragglerLabRequest(src: GutenbergSource, c: LabConfigs['stragglers']): LabRunInput {
  // Its grid of timeouts stands for the form's per-book timeout (as `fanout lab stragglers` has no --item-timeout).
  const { itemTimeoutMs: _formTimeout, ...spec } = labGutenbergSpec(src, c.workers, c.strategy);
  return { kind: 'stragglers', spec, timeouts: c.timeouts, sampleSize: c.sampleSize, repeats: c.repeats };
}

/** Distinct worker counts: the engine runs each once per strategy. */
const distinct = (xs: readonly number[]) => new Set(xs).size;

/**
 * How many cells a lab's grid makes, as the engine builds them (electron/engine/jobs/lab-runner.ts
 * labCells, lab/mail-lab.ts mailLabCells, lab/scrub-lab.ts): serial is one worker by definition,
 * so it is one cell; comparing scrub executors adds one cell.
 */
export function labCellCount(kind: keyof LabConfigs, configs: LabConfigs): number {
  if (kind === 'gutenberg') {
    const c = configs.gutenberg;
    const cells = c.strategies.reduce((n, s) => n + (s === 'serial' ? 1 : distinct(c.workerCounts)), 0);
    return cells + (c.compareScrubExecutors && cells > 0 ? 1 : 0);
  }
  if (kind === 'mail') {
    const c = configs.mail;
    return c.strategies.reduce((n, s) => n + (s === 'serial' ? 1 : distinct(c.connectionCounts)), 0);
  }
  if (kind === 'scrub') return configs.scrub.executors.length * distinct(configs.scrub.workerCounts);
  if (kind === 'queue') return configs.queue.bounds.length;
  return configs.stragglers.timeouts.length;
}

/** What Run will do, before it is clicked: '24 runs (8 cells × 3 repeats), 16 books each' (the run time is about that many jobs of that size). */
export function labPlanLine(kind: keyof LabConfigs, configs: LabConfigs): string {
  const cells = labCellCount(kind, configs);
  const { repeats } = configs[kind];
  const runs = cells * repeats;
  const n = (x: number, one: string) => `${x} ${one}${x === 1 ? '' : 's'}`;
  const each = kind === 'mail' ? 'each an archive of the folders' : `${n(configs[kind].sampleSize, 'book')} each`;
  return `${n(runs, 'run')} (${n(cells, 'cell')} × ${n(repeats, 'repeat')}), ${each}`;
}
