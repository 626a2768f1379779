import type { TelemetryFrame, TimelineSpan } from '../../../shared/events';

/** Spans carried by one batched frame at most; older ones are dropped (the Gantt is downsampled anyway). */
export const MAX_SPANS_PER_BATCH = 2000;

/**
 * Coalesces telemetry frames so a consumer sees at most one every `intervalMs` (≈10/s). Counters are
 * cumulative, so keeping the latest frame loses nothing; spans closed in skipped frames are carried
 * over into the next emitted frame.
 */
export class FrameBatcher {
  #pending: TelemetryFrame | null = null;
  #carriedSpans: TimelineSpan[] = [];
  #lastEmit = -Infinity;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly emit: (frame: TelemetryFrame) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(frame: TelemetryFrame): void {
    if (this.#pending) {
      this.#carriedSpans.push(...this.#pending.spans);
      if (this.#carriedSpans.length > MAX_SPANS_PER_BATCH) this.#carriedSpans.splice(0, this.#carriedSpans.length - MAX_SPANS_PER_BATCH);
    }
    this.#pending = frame;
    const wait = this.#lastEmit + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), wait);
  }

  /** Emits the pending frame (if any) now. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const frame = this.#pending;
    if (!frame) return;
    this.#pending = null;
    let spans = frame.spans;
    if (this.#carriedSpans.length > 0) {
      spans = this.#carriedSpans.concat(frame.spans);
      this.#carriedSpans = [];
      if (spans.length > MAX_SPANS_PER_BATCH) spans = spans.slice(spans.length - MAX_SPANS_PER_BATCH);
    }
    this.#lastEmit = this.now();
    this.emit(spans === frame.spans ? frame : { ...frame, spans });
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = null;
  }
}
