import type { JobEvent, JobSummary, TelemetryFrame } from '../../shared/events';
import { createJobControl, type JobControl } from '../engine/core/job-control';
import { EXIT } from './exit-codes';
import { createProgressDisplay, formatSummary } from './progress-display';
import { noteRunning } from './run-cli';

export { EXIT };

/**
 * Runs a job with the live terminal display, Ctrl-C as cancel (a second Ctrl-C exits at once),
 * then prints the summary (as JSON on stdout with `--json`) and sets the exit code.
 */
export interface TerminalJobOptions {
  json: boolean;
  itemNoun: string;
  /** Requested ebook numbers the catalog does not list (--allow-missing): said with the summary, and `notInCatalog` in --json. */
  notInCatalog?: { count: number; ids: string };
}

/** How much of a long list of ranges the text summary shows (--json has it all). */
const SHOWN_IDS = 400;
/** The most warnings --json's `warnings` holds; past it, its last entry says how many more there were (all are on stderr). */
export const MAX_JSON_WARNINGS = 500;

export async function runJobInTerminal(run: (control: JobControl) => Promise<JobSummary>, opts: TerminalJobOptions): Promise<void> {
  // --json with stderr not a terminal (a script): no live display, but the job's warnings are still
  // said on stderr as they come, and carried in the summary (`warnings`): the open-files pre-flight
  // running fewer workers than asked, a damaged manifest, a cleartext account must reach a script too.
  const quiet = opts.json && !process.stderr.isTTY;
  const display = await createProgressDisplay({ quiet });
  const seen: { started?: Extract<JobEvent, { kind: 'job:started' }>; frame?: TelemetryFrame } = {};
  const warnings = new JsonWarnings();
  const control = createJobControl((e: JobEvent) => {
    if (e.kind === 'job:started') seen.started = e;
    else if (e.kind === 'job:frame') seen.frame = e.frame;
    else if (e.kind === 'job:warning') {
      warnings.add(e.message);
      if (quiet) process.stderr.write(`warning: ${e.message}\n`);
    }
    display.onEvent(e);
  });
  // Said if the process runs out of things to do while the job has not ended (run-cli.ts: a promise
  // that never settles; it was Node's silent exit 13).
  const running = noteRunning(() => jobState(seen.started, seen.frame, opts.itemNoun));
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.cancelled);
    process.stderr.write('\ncancelling (Ctrl-C again to quit now)...\n');
    control.abort();
  };
  process.on('SIGINT', onSigint);
  let summary: JobSummary;
  try {
    summary = await run(control);
  } finally {
    running();
    display.stop();
    process.off('SIGINT', onSigint);
  }
  const missing = opts.notInCatalog;
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ...summary, ...(missing ? { notInCatalog: missing } : {}), warnings: warnings.list() }, null, 2) + '\n');
    // The failure list also goes to stderr, so a script that only shows errors still sees what failed.
    for (const f of summary.failures) process.stderr.write(`failed: ${f.item}: ${f.error.code}: ${f.error.message}\n`);
  } else {
    process.stderr.write(formatSummary(summary, opts.itemNoun));
    if (missing) {
      const ids = missing.ids.length > SHOWN_IDS ? `${missing.ids.slice(0, missing.ids.lastIndexOf(',', SHOWN_IDS))},… (--json lists them all)` : missing.ids;
      process.stderr.write(`not in the catalog: ${missing.count.toLocaleString('en-US')} ebook number${missing.count === 1 ? '' : 's'}: ${ids}\n`);
    }
  }
  process.exitCode = summary.status === 'succeeded' ? EXIT.ok : summary.status === 'cancelled' ? EXIT.cancelled : EXIT.failures;
}

/** The job's warnings for --json's `warnings`, in order, at most MAX_JSON_WARNINGS (the last then says how many more). */
export class JsonWarnings {
  readonly #kept: string[] = [];
  #total = 0;

  add(message: string): void {
    this.#total++;
    if (this.#kept.length < MAX_JSON_WARNINGS) this.#kept.push(message);
  }

  list(): string[] {
    if (this.#total <= MAX_JSON_WARNINGS) return [...this.#kept];
    const more = this.#total - (MAX_JSON_WARNINGS - 1);
    return [...this.#kept.slice(0, MAX_JSON_WARNINGS - 1), `… and ${more.toLocaleString('en-US')} more warnings (stderr has them all)`];
  }
}

/** A job's state as its last events told it: '<kind> job <id>: 12 of 150 books done, 0 failed; workers: 3 connecting, 13 idle'. */
export function jobState(started: Extract<JobEvent, { kind: 'job:started' }> | undefined, frame: TelemetryFrame | undefined, itemNoun: string): string {
  if (!started) return 'the job had not started';
  const head = `${started.jobKind} job ${started.jobId}`;
  if (!frame) return `${head}: started, no progress told yet`;
  const counts = new Map<string, number>();
  for (const w of frame.workers) counts.set(w.state, (counts.get(w.state) ?? 0) + 1);
  const lanes = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  return `${head}: ${frame.itemsDone} of ${frame.itemsTotal ?? '?'} ${itemNoun} done, ${frame.itemsFailed} failed${frame.itemsCleaned ? `, ${frame.itemsCleaned} cleaned` : ''}, at ${(frame.t / 1000).toFixed(1)} s; workers: ${lanes || 'none'}`;
}
