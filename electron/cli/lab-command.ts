import { Command, InvalidArgumentError, Option } from 'commander';
import { STRATEGIES, type Strategy } from '../../shared/strategy';
import { gutenbergSpecInput, registerGutenbergCommand } from './gutenberg-command';
import { accountFrom, addAccountOptions, type AccountCliOptions } from './mail-command';
import type * as z from 'zod/mini';
import { parseWithProblems, type InputProblem } from '../../shared/input-checks';
import type { InputCheck } from '../engine/inputs/job-inputs';
import type { GutenbergJobSpec } from '../../shared/job-spec';
import type { LabNotInCatalog } from '../engine/lab/lab-not-in-catalog';
import { exitWithProblems, intOption, parseSpecOrExit, reportInputCheck } from './cli-validation';
import { timeoutList } from './lab-stragglers-options';

/**
 * The `fanout gutenberg` options the lab passes on to each cell's job, taken from that command
 * itself so both read and check them the same way. An allowlist, not all of them: a new job option
 * shows up here only once `gutenbergSpecInput` reads it (never accepted and silently dropped).
 * --workers, --strategy, --limit and --out are the lab's grid, sample and folder instead.
 * Every cell (and the warm-up) runs under the job's manners: --limit-rate, --wait, --max-per-host,
 * and --item-timeout (not in the stragglers lab, whose --timeouts grid stands for it).
 */
const FORWARDED = ['catalog', 'mirror', 'insecureSkipVerify', 'caFile', 'ftpsImplicit', 'ids', 'allowMissing', 'author', 'title', 'language', 'subject', 'type', 'scrubWorkers', 'scrubExecutor', 'timeout', 'attempts', 'itemTimeout', 'limitRate', 'wait', 'maxPerHost'];

/**
 * The job checks name the output folder `--out` (the jobs' option); the lab's is `--out-dir`, and
 * the lab's grid options stand for the job's workers and strategy. A problem keeps its message.
 */
const LAB_FLAGS: Record<string, string> = { outDir: '--out-dir', workers: '--workers', strategy: '--strategies', connections: '--connections' };
function asLabProblem(p: InputProblem): InputProblem {
  return { ...p, field: LAB_FLAGS[p.field] ?? p.field };
}

/** The job spec of the lab's cells, checked like the job's own (all problems at once), named by the lab's options. */
async function labSpecOrExit<S extends z.ZodMiniType>(schema: S, input: unknown): Promise<z.infer<S>> {
  const result = parseWithProblems(schema, input);
  if (result.ok) return result.value;
  const { problemsOfBadSpec } = await import('../engine/inputs/job-inputs');
  return exitWithProblems((await problemsOfBadSpec(input, result.problems)).map(asLabProblem));
}

function reportLabInputCheck(check: InputCheck): void {
  reportInputCheck({ ...check, problems: check.problems.map(asLabProblem), warnings: check.warnings.map(asLabProblem) });
}

/**
 * The sample's job spec from the forwarded options at the cell's `workers` and `strategy`, checked as
 * the job's own is (every problem of the spec at once, then the catalog and folders); exits on a problem.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander's parsed options
async function checkedSampleSpec(o: Record<string, any>, workers: number, strategy: Strategy): Promise<{ spec: GutenbergJobSpec; sample: number; notInCatalog: LabNotInCatalog | undefined }> {
  const [{ GutenbergJobSpecSchema }, { checkGutenbergInputs }, { labSampleSize }, { labNotInCatalog }] = await Promise.all([import('../../shared/job-spec'), import('../engine/inputs/job-inputs'), import('../engine/jobs/lab-runner'), import('../engine/lab/lab-not-in-catalog')]);
  const spec = await labSpecOrExit(GutenbergJobSpecSchema, { ...gutenbergInput(o), workers, strategy });
  const check = await checkGutenbergInputs(spec, { allowMissing: Boolean(o.allowMissing) });
  reportLabInputCheck(check);
  // A selection smaller than --sample: each cell runs the books there are, and the lab says that
  // number; the plans' rule (labSampleSize), from the count the input check made.
  const sample = await labSampleSize(spec, o.sample as number, { selected: check.selected });
  // --allow-missing: the numbers not in the catalog go into the lab's result, as the job's summary names them.
  return { spec, sample, notInCatalog: labNotInCatalog(check.missing, spec.selection.ids, sample) };
}

/** The job spec input from the forwarded options (the FORWARDED list's other half). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander's parsed options
function gutenbergInput(o: Record<string, any>): Record<string, unknown> {
  return { ...gutenbergSpecInput(o), outDir: o.outDir };
}

/** The forwarded options of `fanout gutenberg`, but those a lab's own grid stands for (`except`). */
function gutenbergOptions(except: readonly string[] = []): Option[] {
  const scratch = new Command();
  registerGutenbergCommand(scratch);
  const job = scratch.commands.find((c) => c.name() === 'gutenberg')!;
  return job.options.filter((o) => FORWARDED.includes(o.attributeName()) && !except.includes(o.attributeName()));
}

/** `--workers 1,2,4,8`: each a whole number from 1 to `max`, at most 8 of them. */
const countList = (max: number) => (value: string): number[] => {
  const each = intOption(1, max);
  const counts = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (counts.length === 0 || counts.length > 8) throw new InvalidArgumentError('give 1 to 8 worker counts separated by commas, e.g. 1,2,4,8');
  return [...new Set(counts.map((v) => {
    try {
      return each(v);
    } catch (err) {
      throw new InvalidArgumentError(`"${v}" ${(err as Error).message}`);
    }
  }))];
};
const workerList = countList(64);

/** `--strategies serial,queue`: names from STRATEGIES. */
function strategyList(value: string): Strategy[] {
  const names = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  const bad = names.find((n) => !(STRATEGIES as readonly string[]).includes(n));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not a strategy; choose from ${STRATEGIES.join(', ')}`);
  if (names.length === 0) throw new InvalidArgumentError(`give at least one of ${STRATEGIES.join(', ')}`);
  return [...new Set(names)] as Strategy[];
}

export function registerLabCommand(program: Command): void {
  const lab = program.command('lab').description('run a concurrency experiment (strategies × worker counts) and write its table, CSV and SVG chart');
  const gutenberg = lab
    .command('gutenberg')
    .description('download and clean a sample of books under each strategy and worker count, each into a fresh folder');
  for (const o of gutenbergOptions()) gutenberg.addOption(o);
  gutenberg
    .option('--strategies <list>', `strategies to compare, from ${STRATEGIES.join(', ')}`, strategyList, ['serial', 'queue', 'adaptive'] as Strategy[])
    .option('--workers <list>', 'worker counts to try (serial always runs one), e.g. 1,2,4,8', workerList, [1, 2, 4, 8])
    .option('--sample <n>', 'books per cell (the first of the selection)', intOption(1, 2000), 16)
    .option('--repeats <n>', 'runs per cell; the median time is used', intOption(1, 9), 1)
    .option('--compare-scrub-executors', 'also run the largest worker count with cleaning in child processes')
    .requiredOption('--out-dir <dir>', 'folder for lab.csv, lab.svg and lab.json (cells run in a temporary folder inside it)')
    .option('--json', 'print the points and the analysis as JSON on stdout')
    .action(async (o) => {
      const [{ LabGridSchema }, { runLabInTerminal }, { withLabResults }] = await Promise.all([import('../../shared/ipc-schemas'), import('./run-lab-in-terminal'), import('../engine/lab/lab-results-claim')]);
      const grid = parseSpecOrExit(LabGridSchema, {
        strategies: o.strategies,
        workerCounts: o.workers,
        sampleSize: o.sample,
        repeats: o.repeats,
        compareScrubExecutors: Boolean(o.compareScrubExecutors),
      });
      // Each cell sets its own workers and strategy; these only make the spec whole.
      const { spec, sample, notInCatalog } = await checkedSampleSpec(o, 1, 'serial');
      // One lab's results per folder at a time (lab/lab-results-claim.ts): a second lab there is refused at once.
      process.exitCode = await withLabResults(o.outDir, 'gutenberg', () => runLabInTerminal({ ...grid, sampleSize: sample, spec }, { json: Boolean(o.json), notInCatalog }));
    });
  lab
    .command('scrub')
    .description('clean the same books in N worker threads and in N child processes, for each N (the CPU-bound stage)')
    .requiredOption('--input <dir>', 'folder of raw books (.txt, searched recursively), e.g. a corpus\'s raw/ folder')
    .option('--sample <n>', 'books to clean per cell (the first .txt files by path)', intOption(1, 100_000), 64)
    .option('--executors <list>', 'threads, processes or both', executorList, ['threads', 'processes'] as ExecutorKind[])
    .option('--workers <list>', 'worker counts to try, e.g. 1,2,4,8', workerList, [1, 2, 4, 8])
    .option('--repeats <n>', 'runs per cell; the median time is used', intOption(1, 9), 1)
    .requiredOption('--out-dir <dir>', 'folder for lab.csv, lab.svg and lab.json')
    .option('--json', 'print the points and the analysis as JSON on stdout')
    .action(async (o) => {
      const { runScrubLabInTerminal } = await import('./run-scrub-lab-in-terminal');
      process.exitCode = await runScrubLabInTerminal({ input: o.input, sample: o.sample, executors: o.executors, workerCounts: o.workers, repeats: o.repeats, outDir: o.outDir, json: Boolean(o.json) });
    });
  registerMailLab(lab);
  registerQueueLab(lab);
  registerStragglerLab(lab);
}

/** `--bounds 1,4,16,unbounded`: whole numbers from 1 to 100,000, or "unbounded" (null). */
function boundList(value: string): Array<number | null> {
  const each = intOption(1, 100_000);
  const items = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (items.length === 0 || items.length > 12) throw new InvalidArgumentError('give 1 to 12 bounds separated by commas, e.g. 1,4,16,64,unbounded');
  return [...new Set(items.map((v) => {
    if (v === 'unbounded') return null;
    try {
      return each(v);
    } catch (err) {
      throw new InvalidArgumentError(`"${v}" ${(err as Error).message}, or "unbounded"`);
    }
  }))];
}

function registerQueueLab(lab: Command): void {
  const queue = lab.command('queue').description('run a sample once per bound between the download and clean stages: throughput, peak memory, time downloaders waited');
  for (const o of gutenbergOptions()) queue.addOption(o);
  queue
    .option('--bounds <list>', 'queue bounds to try (books), and "unbounded"', boundList, [1, 2, 4, 8, 16, 32, 64, null])
    .option('--workers <n>', 'download connections', intOption(1, 64), 8)
    .addOption(new Option('--strategy <s>', 'how books are dealt to workers').choices(STRATEGIES).default('queue'))
    .option('--sample <n>', 'books per cell (the first of the selection)', intOption(1, 2000), 32)
    .option('--repeats <n>', 'runs per cell; the median time is used', intOption(1, 9), 1)
    .requiredOption('--out-dir <dir>', 'folder for lab.csv, lab.svg and lab.json (cells run in a temporary folder inside it)')
    .option('--json', 'print the points and the analysis as JSON on stdout')
    .action(async (o) => {
      const [{ runQueueLabInTerminal }, { withLabResults }] = await Promise.all([import('./run-queue-lab-in-terminal'), import('../engine/lab/lab-results-claim')]);
      const { spec, sample, notInCatalog } = await checkedSampleSpec(o, o.workers, o.strategy);
      process.exitCode = await withLabResults(o.outDir, 'queue', () => runQueueLabInTerminal({ spec, bounds: o.bounds, repeats: o.repeats, sample, json: Boolean(o.json), notInCatalog }));
    });
}

/** Strategies whose books are one request each with or without a timeout (adaptive pipelines batches only without one). */
const ONE_REQUEST_STRATEGIES = STRATEGIES.filter((s) => s !== 'adaptive');

function registerStragglerLab(lab: Command): void {
  const stragglers = lab.command('stragglers').description('run a sample once per per-item timeout (and without one): total time and item latency percentiles');
  for (const o of gutenbergOptions(['itemTimeout'])) stragglers.addOption(o);
  stragglers
    .option('--timeouts <list>', 'per-item timeouts to try: "off", then e.g. 500ms, 2s (a bare number is seconds)', timeoutList, [null, 2000, 5000])
    .option('--workers <n>', 'download connections', intOption(1, 64), 4)
    .addOption(new Option('--strategy <s>', 'how books are dealt to workers (one request per book)').choices(ONE_REQUEST_STRATEGIES).default('queue'))
    .option('--sample <n>', 'books per cell (the first of the selection)', intOption(1, 2000), 16)
    .option('--repeats <n>', 'runs per cell; the median time is used, latencies of every run', intOption(1, 9), 1)
    .requiredOption('--out-dir <dir>', 'folder for lab.csv, lab.svg and lab.json (cells run in a temporary folder inside it)')
    .option('--json', 'print the points and the analysis as JSON on stdout')
    .action(async (o) => {
      const [{ runStragglerLabInTerminal }, { withLabResults }] = await Promise.all([import('./lab-stragglers-run'), import('../engine/lab/lab-results-claim')]);
      const { spec, sample, notInCatalog } = await checkedSampleSpec(o, o.workers, o.strategy);
      process.exitCode = await withLabResults(o.outDir, 'stragglers', () => runStragglerLabInTerminal({ spec, timeouts: o.timeouts, repeats: o.repeats, sample, json: Boolean(o.json), notInCatalog }));
    });
}

function registerMailLab(lab: Command): void {
  const mail = lab.command('mail').description('archive the same account under each strategy and number of IMAP connections, each into a fresh folder');
  addAccountOptions(mail)
    .option('--folders <list>', '"all", or folder paths separated by commas (INBOX,Sent)', 'all')
    .option('--strategies <list>', `strategies to compare, from ${STRATEGIES.join(', ')}`, strategyList, ['serial', 'queue', 'split', 'adaptive'] as Strategy[])
    .option('--connections <list>', 'connection counts to try (serial always uses one), e.g. 1,2,4', countList(32), [1, 2, 4])
    .option('--repeats <n>', 'runs per cell; the median time is used', intOption(1, 9), 1)
    .requiredOption('--out-dir <dir>', 'folder for lab.csv, lab.svg and lab.json (cells archive into a temporary folder inside it)')
    .option('--json', 'print the points and the analysis as JSON on stdout')
    .action(async (o: AccountCliOptions & { folders: string; strategies: Strategy[]; connections: number[]; repeats: number; outDir: string; json?: boolean }) => {
      const account = await accountFrom(o);
      const [{ MailJobSpecSchema }, { checkMailInputs }, { runMailLabInTerminal }, { withLabResults }] = await Promise.all([
        import('../../shared/job-spec'),
        import('../engine/inputs/job-inputs'),
        import('./run-mail-lab-in-terminal'),
        import('../engine/lab/lab-results-claim'),
      ]);
      const folders = o.folders.trim().toLowerCase() === 'all' ? 'all' : o.folders.split(',').map((f) => f.trim()).filter(Boolean);
      // Each cell sets its own strategy and connections; these only make the spec whole.
      const spec = await labSpecOrExit(MailJobSpecSchema, { kind: 'mail', account, folders, connections: 1, strategy: 'serial', outDir: o.outDir, timeoutMs: o.timeout });
      reportLabInputCheck(await checkMailInputs(spec));
      process.exitCode = await withLabResults(o.outDir, 'mail', () => runMailLabInTerminal({ spec, strategies: o.strategies, connectionCounts: o.connections, repeats: o.repeats, json: Boolean(o.json) }));
    });
}

type ExecutorKind = 'threads' | 'processes';

/** `--executors threads,processes`. */
function executorList(value: string): ExecutorKind[] {
  const names = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  const bad = names.find((n) => n !== 'threads' && n !== 'processes');
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not an executor; choose threads, processes or both`);
  if (names.length === 0) throw new InvalidArgumentError('give threads, processes or both');
  return [...new Set(names)] as ExecutorKind[];
}
