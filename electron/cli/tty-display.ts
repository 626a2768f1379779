import cliProgress from 'cli-progress';
import { WORKER_STATES, type JobEvent, type TelemetryFrame } from '../../shared/events';
import { formatBytes, formatDuration, pad } from './format';
import type { ProgressDisplay } from './progress-display';

/** The state column's width: the longest state ('waiting to clean'), so the items line up. */
const STATE_WIDTH = Math.max(...WORKER_STATES.map((s) => s.length));

/** The live view on a TTY (progress-display.ts createProgressDisplay): a bar per worker and a totals bar. */
export class TtyDisplay implements ProgressDisplay {
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
        text: `${pad(w.state, STATE_WIDTH)} ${pad(w.item ?? '', 40)} ${w.itemsDone} done ${formatBytes(w.bytesDone)}${w.retries ? ` ${w.retries} retries` : ''}`,
      });
    }
    const done = frame.itemsDone + frame.itemsFailed + frame.itemsSkipped;
    this.#totals?.setTotal(Math.max(1, frame.itemsTotal ?? done));
    this.#totals?.update(done, {
      text: `${done}/${frame.itemsTotal ?? '?'} items  ${formatBytes(frame.bytesDone)}  ${formatBytes(frame.bytesPerSec)}/s  ${frame.itemsFailed} failed  ${formatDuration(frame.t)}${frame.paused ? '  PAUSED' : ''}`,
    });
  }
}
