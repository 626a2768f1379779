import { Command, InvalidArgumentError, Option } from 'commander';
import { checkByteRate, parseByteRate, parseDuration } from '../../shared/byte-rate';
import { NO_IDS, parseIdRanges } from '../../shared/id-ranges';
import { checkMaxPerHost } from '../../shared/input-checks';
import { STRATEGIES } from '../../shared/strategy';
import { countOrAuto, parseJobSpecOrExit, positiveInt, reportInputCheck } from './cli-validation';
import { EXIT, stoppedOnBadInput } from './exit-codes';
import { itemTimeoutOption } from './lab-stragglers-options';
import type { JobSummary } from '../../shared/events';
import type { JobControl } from '../engine/core/job-control';

/** `--ids`: ranges, each as the user wrote it judged by `idRangeProblem` (the UI's words too). */
function idsOption(value: string): ReturnType<typeof parseIdRanges> {
  try {
    const ranges = parseIdRanges(value);
    if (ranges.length === 0) throw new RangeError(NO_IDS);
    return ranges;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/**
 * The job spec's fields from the options `fanout lab gutenberg` forwards too (the lab adds its own
 * workers, strategy and output folder; see its FORWARDED list).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander's parsed options
export function gutenbergSpecInput(o: Record<string, any>): Record<string, unknown> {
  return {
    kind: 'gutenberg',
    catalog: o.catalog,
    mirror: o.mirror,
    mirrorTls: { allowUntrustedCert: Boolean(o.insecureSkipVerify), caFile: o.caFile, ftpsImplicit: o.ftpsImplicit },
    selection: { ids: o.ids, author: o.author, title: o.title, language: o.language, subject: o.subject, type: o.type, limit: o.limit },
    scrubWorkers: o.scrubWorkers,
    scrubExecutor: o.scrubExecutor,
    timeoutMs: o.timeout,
    attempts: o.attempts,
    itemTimeoutMs: o.itemTimeout,
    limitRate: o.limitRate,
    waitMs: o.wait,
    maxPerHost: o.maxPerHost,
  };
}

/** `--limit-rate 2M`: bytes per second for the whole job (k = 1024, as wget and curl). */
function rateOption(value: string): number {
  const problem = checkByteRate(value);
  if (problem) throw new InvalidArgumentError(problem);
  return parseByteRate(value)!;
}

/** `--max-per-host 3`: a whole number of connections (the check the job form uses too). */
function maxPerHostOption(value: string): number {
  const problem = checkMaxPerHost(value);
  if (problem) throw new InvalidArgumentError(problem);
  return Number(value.trim());
}

/** `--wait 2s`: between requests to the mirror (a bare number is seconds, as wget's -w). */
function waitOption(value: string): number {
  const ms = parseDuration(value);
  if (ms === null || ms > 600_000) throw new InvalidArgumentError(`"${value}" is not a wait: write e.g. 2s, 500ms or 1m (at most 10 minutes)`);
  return ms;
}

export function registerGutenbergCommand(program: Command): void {
  program
    .command('gutenberg')
    .description('download and clean Project Gutenberg books from a mirror')
    .requiredOption('--catalog <file>', 'pg_catalog.csv, or a simple author,FileNumber,Title CSV')
    .requiredOption('--mirror <url>', 'mirror root: ftp://, ftps://, http:// or https://')
    .option('--insecure-skip-verify', 'ftps/https: trust the mirror certificate even if self-signed (unsafe)')
    .option('--ca-file <pem>', 'ftps/https: extra CA certificate(s) to trust')
    .option('--ftps-implicit', 'ftps: implicit TLS instead of AUTH TLS')
    .option('--ids <list>', 'ebook numbers and ranges, e.g. 11,1342,2000-2100', idsOption)
    .option('--allow-missing', 'go on when some --ids are not in the catalog (they are listed either way)')
    .option('--author <text>', 'author contains (case- and accent-insensitive)')
    .option('--title <text>', 'title contains')
    .option('--language <code>', 'language contains, e.g. en')
    .option('--subject <text>', 'subject or bookshelf contains')
    .option('--type <type>', 'catalog type, e.g. Text')
    .option('--limit <n>', 'at most this many books', positiveInt)
    .option('--workers <n|auto>', 'download connections, or auto: start with 4 (or where the last auto job to this server settled) and add while throughput grows', countOrAuto, 4)
    .option('--max-workers <n>', 'with --workers auto: never more connections than this', positiveInt, 32)
    .addOption(new Option('--strategy <s>', 'how books are dealt to workers').choices(STRATEGIES).default('adaptive'))
    .requiredOption('--out <dir>', 'output folder (raw/, clean/, manifest.jsonl)')
    .option('--scrub-workers <n>', 'cleaning threads', positiveInt)
    .addOption(new Option('--scrub-executor <e>', 'cleaning in worker threads or child processes').choices(['threads', 'processes']).default('threads'))
    .option('--timeout <ms>', 'network timeout per operation, ms', positiveInt, 30_000)
    .option('--attempts <n>', 'attempts per book for transient errors', positiveInt, 5)
    .option('--item-timeout <time>', 'per-book timeout, e.g. 5s: a book not fetched by then is cut and tried again on a new connection (within --attempts)', itemTimeoutOption)
    .option('--limit-rate <rate>', 'bandwidth cap for the whole job (all connections), e.g. 500k or 2M bytes/s', rateOption)
    .option('--proxy <url>', 'proxy: http://host:port for http(s) mirrors, socks5://host:port for ftp(s) mirrors, env (HTTPS_PROXY/HTTP_PROXY/NO_PROXY, the default) or none', 'env')
    .option('--allow-main-site', 'allow www.gutenberg.org itself as the mirror, for a single book (its robot policy refuses bulk downloads)')
    .option('--max-per-host <n>', 'at most this many connections to the mirror\'s server (default: --workers, lowered to the limit the server showed when it last refused one)', maxPerHostOption)
    .option('--wait <time>', 'wait between requests to the mirror, all workers together (randomised 0.5-1.5x), e.g. 2s', waitOption)
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (o) => {
      // Loaded here, not at the top: `fanout --help` and a usage error need none of it.
      const [{ GutenbergJobSpecSchema }, { runGutenbergJob }, { checkGutenbergJob }, { runJobInTerminal }, { HostMemory }, { defaultDataDir }] = await Promise.all([
        import('../../shared/job-spec'),
        import('../engine/gutenberg/run-gutenberg-job'),
        import('../engine/inputs/job-inputs'),
        import('./run-job-in-terminal'),
        import('../engine/jobs/host-memory'),
        import('../engine/jobs/data-dir'),
      ]);
      const spec = await parseJobSpecOrExit(GutenbergJobSpecSchema, {
        ...gutenbergSpecInput(o),
        workers: o.workers === 'auto' ? o.maxWorkers : o.workers,
        autoWorkers: o.workers === 'auto',
        strategy: o.strategy,
        outDir: o.out,
        allowMainSite: Boolean(o.allowMainSite),
        proxy: o.proxy,
      });
      // The check reads the catalog; the job starts from what that read picked instead of reading it again.
      const { check, selection } = await checkGutenbergJob(spec, { allowMissing: Boolean(o.allowMissing) });
      reportInputCheck(check);
      // What jobs learn about servers (lock-step, connection limits) is kept in the data dir the web host uses too.
      const hosts = new HostMemory(defaultDataDir());
      let summary: JobSummary | undefined;
      const run = async (control: JobControl) => (summary = await runGutenbergJob(spec, { ...control, hosts }, selection));
      await runJobInTerminal(run, { json: Boolean(o.json), itemNoun: 'books', ...(check.missing ? { notInCatalog: check.missing } : {}) });
      // A job stopped because the input is wrong (a mirror URL that is no Gutenberg root) is bad input, as the check's refusals are.
      if (summary && process.exitCode === EXIT.failures && stoppedOnBadInput(summary)) process.exitCode = EXIT.badInput;
    });
}
