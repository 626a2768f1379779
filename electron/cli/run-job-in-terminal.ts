import type { JobEvent, JobSummary } from '../../shared/events';
import { createJobControl, type JobControl } from '../engine/core/job-control';
import { EXIT } from './exit-codes';
import { createProgressDisplay, formatSummary } from './progress-display';

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

export async function runJobInTerminal(run: (control: JobControl) => Promise<JobSummary>, opts: TerminalJobOptions): Promise<void> {
  const display = await createProgressDisplay({ quiet: opts.json && !process.stderr.isTTY });
  const control = createJobControl((e: JobEvent) => display.onEvent(e));
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
    display.stop();
    process.off('SIGINT', onSigint);
  }
  const missing = opts.notInCatalog;
  if (opts.json) {
    process.stdout.write(JSON.stringify(missing ? { ...summary, notInCatalog: missing } : summary, null, 2) + '\n');
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
