import type { JobEvent, JobSummary } from '../../shared/events';
import { createJobControl, type JobControl } from '../engine/core/job-control';
import { EXIT } from './exit-codes';
import { createProgressDisplay, formatSummary } from './progress-display';

export { EXIT };

/**
 * Runs a job with the live terminal display, Ctrl-C as cancel (a second Ctrl-C exits at once),
 * then prints the summary (as JSON on stdout with `--json`) and sets the exit code.
 */
export async function runJobInTerminal(run: (control: JobControl) => Promise<JobSummary>, opts: { json: boolean; itemNoun: string }): Promise<void> {
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
  if (opts.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    // The failure list also goes to stderr, so a script that only shows errors still sees what failed.
    for (const f of summary.failures) process.stderr.write(`failed: ${f.item}: ${f.error.code}: ${f.error.message}\n`);
  } else {
    process.stderr.write(formatSummary(summary, opts.itemNoun));
  }
  process.exitCode = summary.status === 'succeeded' ? EXIT.ok : summary.status === 'cancelled' ? EXIT.cancelled : EXIT.failures;
}
