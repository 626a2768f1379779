import type { JobEvent, JobSummary, WorkerState } from '../../shared/events';
import { formatBytes, formatDuration } from './format';
import { scrubStageWait } from '../../shared/scrub-stage-wait';

export interface ProgressDisplay {
  onEvent(event: JobEvent): void;
  stop(): void;
}

/**
 * The live view in a terminal: one line per worker plus a totals line (cli-progress, tty-display.ts),
 * redrawn from the job's sampled frames. Without a TTY it prints a one-line status every few seconds
 * instead, so logs stay readable. Everything goes to stderr: stdout is kept for `--json`. The bars'
 * code (cli-progress and its string-width, emoji-regex…: ~50 KB of the bundle) loads only for a TTY,
 * not for a script's or cron's `--json` run (a mail run with nothing new is mostly start-up).
 */
export async function createProgressDisplay(opts: { stream?: NodeJS.WriteStream; quiet?: boolean } = {}): Promise<ProgressDisplay> {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { onEvent: () => {}, stop: () => {} };
  return stream.isTTY ? new (await import('./tty-display')).TtyDisplay(stream) : new LogDisplay(stream);
}

/** Lane states in which a later stage holds the lane (said in the status line). */
const HELD_STATES: readonly WorkerState[] = ['waiting to clean', 'writing'];

class LogDisplay implements ProgressDisplay {
  readonly #stream: NodeJS.WriteStream;
  #lastPrint = 0;

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
  }

  onEvent(event: JobEvent): void {
    switch (event.kind) {
      case 'job:started':
        this.#stream.write(`started ${event.jobKind} job: ${event.workers} worker(s), strategy ${event.strategy}, ${event.itemsTotal ?? '?'} items -> ${event.outDir}\n`);
        break;
      case 'job:frame': {
        const f = event.frame;
        if (f.t - this.#lastPrint < 2000) return;
        this.#lastPrint = f.t;
        const done = f.itemsDone + f.itemsFailed + f.itemsSkipped;
        const busy = f.workers.filter((w) => w.state !== 'idle' && w.state !== 'stopped').length;
        // Lanes held by a later stage (books downloaded, the scrub stage full; messages received, the
        // job's writes at their budget): what the run waits for.
        const held = HELD_STATES.map((st) => [st, f.workers.filter((w) => w.state === st).length] as const).filter(([, n]) => n > 0);
        const heldText = held.length > 0 ? ` (${held.map(([st, n]) => `${n} ${st}`).join(', ')})` : '';
        this.#stream.write(`${formatDuration(f.t)}: ${done}/${f.itemsTotal ?? '?'} items, ${formatBytes(f.bytesDone)}, ${formatBytes(f.bytesPerSec)}/s, ${busy}/${f.workers.length} workers busy${heldText}, ${f.itemsFailed} failed\n`);
        break;
      }
      case 'job:item-failed':
        this.#stream.write(`failed: ${event.failure.item}: ${event.failure.error.code} ${event.failure.error.message}\n`);
        break;
      case 'job:warning':
        this.#stream.write(`warning: ${event.message}\n`);
        break;
      case 'job:workers':
        this.#stream.write(`${formatDuration(event.decision.atMs)}: workers ${event.decision.workers} (${event.decision.why})\n`);
        break;
      case 'job:finished':
        break;
    }
  }

  stop(): void {}
}

/** The end-of-run summary: books, bytes, wall time, throughput, per-worker busy %, the wait for cleaning, failures. */
export function formatSummary(summary: JobSummary, itemNoun = 'books'): string {
  // A job stopped early (cancelled, a server or disk that stopped it) leaves some neither done nor
  // failed: said, so that the headline adds up to the total.
  const left = summary.status === 'succeeded' ? 0 : summary.itemsTotal - summary.itemsDone - summary.itemsSkipped - summary.itemsFailed;
  const lines = [
    `${summary.status.toUpperCase()}: ${summary.itemsDone} ${itemNoun} done, ${summary.itemsSkipped} already complete, ${summary.itemsFailed} failed${left > 0 ? `, ${left} not done (a re-run does them)` : ''} (of ${summary.itemsTotal})`,
    `bytes ${formatBytes(summary.bytes)}  wall ${formatDuration(summary.wallMs)}  throughput ${formatBytes(summary.throughput)}/s  strategy ${summary.strategy}  workers ${summary.workers}`,
    `worker busy: ${summary.workerBusy.map((b, i) => `#${i + 1} ${Math.round(b * 100)}%`).join('  ')}`,
    `output: ${summary.outDir}`,
  ];
  // What the lanes' 'waiting to clean' added up to (a second or more in all): cleaning held the downloads.
  const wait = scrubStageWait(summary.scrubStage);
  if (wait) lines.splice(3, 0, `waiting to clean: ${formatDuration(wait.blockedMs)} summed over workers (the scrub stage held ${wait.held}): cleaning was the bottleneck then (--scrub-workers)`);
  if (summary.failures.length > 0) {
    lines.push('failures:');
    for (const f of summary.failures) {
      const where = Object.entries(f.error.context).map(([k, v]) => `${k}=${v}`).join(' ');
      lines.push(`  ${f.item}: ${f.error.code}: ${f.error.message}${where ? ` (${where})` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}
