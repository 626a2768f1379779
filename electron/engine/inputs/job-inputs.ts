import { mainSiteProblem } from '../../../shared/gutenberg-mirrors';
import { idRangesText } from '../../../shared/id-ranges';
import { checkAutoWorkers, checkProxyForMirror, formatProblem, parseWithProblems, redactUrl, type InputProblem } from '../../../shared/input-checks';
import { UiJobSpecSchema } from '../../../shared/ipc-schemas';
import type { CatalogSelection, GutenbergJobSpec, JobSpec } from '../../../shared/job-spec';
import { explainSelection, readCatalog, type SelectionReport } from '../catalog';
import { FanoutError } from '../core/fanout-error';
import { JobSelection } from '../gutenberg/job-selection';
import { checkCaFile, checkInputFile, checkOutputFolder } from './file-checks';
import { checkMailInputs } from './mail-inputs';
import { checkCorpusEntries } from './account-folder';

/** The outcome of checking a job's inputs before it starts. */
export interface InputCheck {
  /** Each one refuses the job (the CLI exits 2; the UI shows it under the field). */
  problems: InputProblem[];
  /** Worth saying, not worth refusing (bad catalog rows, ids allowed to be missing). */
  warnings: InputProblem[];
  /** Books the job will select, when the catalog was read. */
  selected?: number;
  /**
   * Requested ebook numbers the catalog does not list, when some are (the job goes on only with
   * `allowMissing`): how many, and all of them as ranges ("13,21-25"), for the job's result.
   */
  missing?: { count: number; ids: string };
}

export interface CheckOptions {
  /**
   * Requested ebook numbers missing from the catalog are a warning, not a problem (`--allow-missing`).
   * Undefined: the front end has no such option (the UI, whose ids come from the catalog it loaded).
   */
  allowMissing?: boolean;
  signal?: AbortSignal;
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** The selection's problem (nothing picked, or ids not in the catalog) and warnings, from the report. */
function selectionFindings(selection: CatalogSelection, report: SelectionReport, opts: CheckOptions, out: InputCheck): void {
  const ids = selection.ids ?? [];
  if (report.emptiedBy) {
    const { filter, before, first } = report.emptiedBy;
    const value = filter === 'ids' ? idRangesText(ids) : selection[filter];
    const message =
      filter === 'ids'
        ? `none of these ebook numbers is in the catalog (it lists ${count(report.books, 'book')}, numbered ${report.firstEbook} to ${report.lastEbook}); check the numbers`
        : `matches none of the ${first ? `catalog's ${count(before, 'book')}` : `${count(before, 'book')} picked by the filters before it`}; check the spelling or drop this filter`;
    out.problems.push({ field: `selection.${filter}`, value, message });
    return;
  }
  const { missing } = report;
  if (missing.count === 0) return;
  const listed = `${missing.first.join(', ')}${missing.count > missing.first.length ? ', …' : ''}`;
  // pg_catalog.csv lists books in ebook order: a download cut at a row boundary reads as a whole
  // catalog whose last books are missing. Numbers past its last one say so.
  const past =
    missing.pastLast === 0
      ? ''
      : `, ${missing.pastLast === missing.count ? (missing.count === 1 ? '' : 'all ') : `${missing.pastLast.toLocaleString('en-US')} of them `}past its last, ${report.lastEbook} (a catalog cut short or older than these books? download it again)`;
  const finding: InputProblem = { field: 'selection.ids', value: idRangesText(ids), message: `${count(missing.count, 'ebook number')} not in the catalog (${listed})${past}` };
  const rest = `the ${count(report.selected, 'book')} that ${report.selected === 1 ? 'is' : 'are'}`;
  out.missing = { count: missing.count, ids: idRangesText(missing.ranges) };
  if (opts.allowMissing) out.warnings.push({ ...finding, message: `${finding.message}; downloading ${rest}` });
  else if (opts.allowMissing === false) out.problems.push({ ...finding, message: `${finding.message}; check the numbers, or add --allow-missing to download ${rest}` });
  else out.problems.push({ ...finding, message: `${finding.message}; the catalog file no longer lists every book selected: load it again and select again` });
}

/** Every entry of `entries`, each shown to `see` on its way through. */
async function* tapped<T>(entries: AsyncIterable<T>, see: (entry: T) => void): AsyncGenerator<T> {
  for await (const entry of entries) {
    see(entry);
    yield entry;
  }
}

/**
 * Reads the catalog once: is it a catalog, and what does the selection pick from it. The same read
 * collects the job's selection (JobSelection.collect), returned for the job to start with.
 */
async function checkCatalog(spec: GutenbergJobSpec, opts: CheckOptions, out: InputCheck): Promise<JobSelection | undefined> {
  const problem = await checkInputFile(spec.catalog);
  if (problem) {
    out.problems.push({ field: 'catalog', value: spec.catalog, message: problem });
    return undefined;
  }
  // The job's tally of bad rows is the check's too: the job warns of them again, as when it read the catalog itself.
  const job = JobSelection.collect(spec.catalog, spec.selection);
  const bad = job.badRows;
  let report: SelectionReport;
  try {
    report = await explainSelection(tapped(readCatalog(spec.catalog, { signal: opts.signal, onBadRow: bad.add }), job.add), spec.selection);
  } catch (err) {
    if (!(err instanceof FanoutError) || err.code !== 'BAD_INPUT') throw err;
    out.problems.push({ field: 'catalog', value: spec.catalog, message: err.message });
    return undefined;
  }
  const badRows = bad.describe();
  if (badRows) out.warnings.push({ field: 'catalog', value: spec.catalog, message: badRows });
  out.selected = report.selected;
  selectionFindings(spec.selection, report, opts, out);
  return job.selection;
}

/**
 * Everything about a Gutenberg job that can be known before it starts, beyond its schema (which
 * checks the mirror URL and the numbers): the output folder (creatable, writable), the CA file, the
 * catalog (readable, a catalog) and the selection (picks something; the ebook numbers asked for
 * exist). Writes nothing.
 */
export async function checkGutenbergInputs(spec: GutenbergJobSpec, opts: CheckOptions = {}): Promise<InputCheck> {
  return (await checkGutenbergJob(spec, opts)).check;
}

/**
 * checkGutenbergInputs, and the job's selection from the same read of the catalog (when it was
 * read), to hand to runGutenbergJob so that the job does not read the catalog a second time (151 ms
 * for the 75,000-row catalog). Not part of the check a UI gets: the selection holds up to 5,000 entries.
 */
export async function checkGutenbergJob(spec: GutenbergJobSpec, opts: CheckOptions = {}): Promise<{ check: InputCheck; selection?: JobSelection }> {
  const out: InputCheck = { problems: [], warnings: [] };
  const auto = checkAutoWorkers(spec.autoWorkers, spec.strategy);
  if (auto) out.problems.push({ field: 'strategy', value: spec.strategy, message: auto });
  const proxy = checkProxyForMirror(spec.proxy, spec.mirror);
  if (proxy) out.problems.push({ field: 'proxy', value: redactUrl(spec.proxy), message: proxy });
  const caFile = spec.mirrorTls.caFile;
  if (caFile !== undefined) {
    const problem = await checkCaFile(caFile);
    if (problem) out.problems.push({ field: 'mirrorTls.caFile', value: caFile, message: problem });
  }
  const folder = (await checkOutputFolder(spec.outDir)) ?? (await checkCorpusEntries(spec.outDir));
  if (folder) out.problems.push({ field: 'outDir', value: spec.outDir, message: folder });
  const selection = await checkCatalog(spec, opts, out);
  // Project Gutenberg's main site refuses robots: a mirror, or --allow-main-site for one book.
  const policy = mainSiteProblem(spec.mirror, out.selected, spec.allowMainSite);
  if (policy) out.problems.push({ field: 'mirror', value: spec.mirror, message: policy });
  return selection ? { check: out, selection } : { check: out };
}

// In a file of its own (mail-inputs.ts): `fanout mail` loads it without the Gutenberg checks' catalog code and IPC schemas.
export { checkMailInputs };

export function checkJobInputs(spec: JobSpec, opts: CheckOptions = {}): Promise<InputCheck> {
  return spec.kind === 'gutenberg' ? checkGutenbergInputs(spec, opts) : checkMailInputs(spec);
}

/** The file and folder checks that need no other field, for a spec that failed its schema. */
const PATH_CHECKS: Array<[field: string, check: (path: string) => Promise<string | null>]> = [
  ['catalog', (p) => checkInputFile(p)],
  ['outDir', checkOutputFolder],
  ['mirrorTls.caFile', checkCaFile],
];

/**
 * The problems of a job spec that failed its schema, plus those of its paths that the schema did
 * not already fault (so every problem is reported at once, not one round at a time).
 */
export async function problemsOfBadSpec(input: unknown, schemaProblems: readonly InputProblem[]): Promise<InputProblem[]> {
  const problems = [...schemaProblems];
  for (const [field, check] of PATH_CHECKS) {
    let value: unknown = input;
    for (const k of field.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[k] : undefined;
    if (typeof value !== 'string' || schemaProblems.some((p) => p.field === field)) continue;
    const problem = await check(value);
    if (problem) problems.push({ field, value, message: problem });
  }
  return problems;
}

/** `job:check`: a job as the UI sends it, before it starts: the schema's problems and the file checks, each with its field. */
export async function checkUiJob(spec: unknown): Promise<InputCheck> {
  const parsed = parseWithProblems(UiJobSpecSchema, spec);
  return parsed.ok ? checkJobInputs(parsed.value) : { problems: await problemsOfBadSpec(spec, parsed.problems), warnings: [] };
}

/** A BAD_INPUT error listing every problem, for hosts that must refuse a job (IPC `job:start`). */
export function inputProblemsError(problems: readonly InputProblem[]): FanoutError {
  const text = problems.map((p) => formatProblem(p.field, p)).join('; ');
  return new FanoutError('BAD_INPUT', `Invalid input: ${text}`);
}
