import cliProgress from 'cli-progress';
import type { JobEvent, JobSummary, TelemetryFrame } from '../../shared/events';
import { formatBytes, formatDuration, pad } from './format';

export interface ProgressDisplay {
  onEvent(event: JobEvent): void;
  stop(): void;
}

/**
 * The live view in a terminal: one line per worker plus a totals line (cli-progress), redrawn from
 * the job's sampled frames. Without a TTY it prints a one-line status every few seconds instead,
 * so logs stay readable. Everything goes to stderr: stdout is kept for `--json`.
 */
export function createProgressDisplay(opts: { stream?: NodeJS.WriteStream; quiet?: boolean } = {}): ProgressDisplay {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { onEvent: () => {}, stop: () => {} };
  return stream.isTTY ? new TtyDisplay(stream) : new LogDisplay(stream);
}

class TtyDisplay implements ProgressDisplay {
  readonly #multi: cliProgress.MultiBar;
  readonly #bars: cliProgress.SingleBar[] = [];
  #totals: cliProgress.SingleBar | null = null;
  readonly #stream: NodeJS.WriteStream;

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
    this.#multi = new cliProgress.MultiBar(
      { stream, hideCursor: true, clearOnComplete: false, format: '{label} {bar} {text}', barsize: 20, fps: 10, autopadding: true },
      cliProgress.Presets.shades_classic,
    );
  }

  onEvent(event: JobEvent): void {
    switch (event.kind) {
      case 'job:started':
        this.#totals = this.#multi.create(event.itemsTotal ?? 0, 0, { label: pad('total', 12), text: '' });
        break;
      case 'job:frame':
        this.#draw(event.frame);
        break;
      case 'job:item-failed':
        this.#multi.log(`failed: ${event.failure.item}: ${event.failure.error.code} ${event.failure.error.message}\n`);
        break;
      case 'job:warning':
        this.#multi.log(`warning: ${event.message}\n`);
        break;
      case 'job:workers':
        this.#multi.log(`workers: ${event.decision.workers} (${event.decision.why})\n`);
        break;
      case 'job:finished':
        this.stop();
        break;
    }
  }

  stop(): void {
    this.#multi.stop();
    void this.#stream;
  }

  #draw(frame: TelemetryFrame): void {
    for (const w of frame.workers) {
      let bar = this.#bars[w.id];
      if (!bar) bar = this.#bars[w.id] = this.#multi.create(1, 0, { label: pad(`worker ${w.id + 1}`, 12), text: '' });
      const total = w.itemTotal ?? Math.max(1, w.itemBytes);
      bar.setTotal(Math.max(1, total));
      bar.update(Math.min(w.itemBytes, total), {
        text: `${pad(w.state, 11)} ${pad(w.item ?? '', 40)} ${w.itemsDone} done ${formatBytes(w.bytesDone)}${w.retries ? ` ${w.retries} retries` : ''}`,
      });
    }
    const done = frame.itemsDone + frame.itemsFailed + frame.itemsSkipped;
    this.#totals?.setTotal(Math.max(1, frame.itemsTotal ?? done));
    this.#totals?.update(done, {
      text: `${done}/${frame.itemsTotal ?? '?'} items  ${formatBytes(frame.bytesDone)}  ${formatBytes(frame.bytesPerSec)}/s  ${frame.itemsFailed} failed  ${formatDuration(frame.t)}${frame.paused ? '  PAUSED' : ''}`,
    });
  }
}

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
        this.#stream.write(`${formatDuration(f.t)}: ${done}/${f.itemsTotal ?? '?'} items, ${formatBytes(f.bytesDone)}, ${formatBytes(f.bytesPerSec)}/s, ${busy}/${f.workers.length} workers busy, ${f.itemsFailed} failed\n`);
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

/** The end-of-run summary: books, bytes, wall time, throughput, per-worker busy %, failures. */
export function formatSummary(summary: JobSummary, itemNoun = 'books'): string {
  const lines = [
    `${summary.status.toUpperCase()}: ${summary.itemsDone} ${itemNoun} done, ${summary.itemsSkipped} already complete, ${summary.itemsFailed} failed (of ${summary.itemsTotal})`,
    `bytes ${formatBytes(summary.bytes)}  wall ${formatDuration(summary.wallMs)}  throughput ${formatBytes(summary.throughput)}/s  strategy ${summary.strategy}  workers ${summary.workers}`,
    `worker busy: ${summary.workerBusy.map((b, i) => `#${i + 1} ${Math.round(b * 100)}%`).join('  ')}`,
    `output: ${summary.outDir}`,
  ];
  if (summary.failures.length > 0) {
    lines.push('failures:');
    for (const f of summary.failures) {
      const where = Object.entries(f.error.context).map(([k, v]) => `${k}=${v}`).join(' ');
      lines.push(`  ${f.item}: ${f.error.code}: ${f.error.message}${where ? ` (${where})` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}
