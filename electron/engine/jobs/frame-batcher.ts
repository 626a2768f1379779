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

/** Frames kept per recording at most; past this the resolution halves (spans are kept, merged). */
export const MAX_RECORDED_FRAMES = 1200;
/** Spans kept per recording at most. */
export const MAX_RECORDED_SPANS = 20_000;

/** A bounded recording of a run's frames, for replay in the live view. */
export class FrameRecorder {
  readonly frames: TelemetryFrame[] = [];
  #spanCount = 0;
  droppedSpans = 0;

  add(frame: TelemetryFrame): void {
    let spans = frame.spans;
    const room = MAX_RECORDED_SPANS - this.#spanCount;
    if (spans.length > room) {
      this.droppedSpans += spans.length - Math.max(0, room);
      spans = spans.slice(0, Math.max(0, room));
    }
    this.#spanCount += spans.length;
    this.frames.push(spans === frame.spans ? frame : { ...frame, spans });
    if (this.frames.length > MAX_RECORDED_FRAMES) this.#halve();
  }

  #halve(): void {
    const out: TelemetryFrame[] = [];
    for (let i = 0; i < this.frames.length; i += 2) {
      const a = this.frames[i]!;
      const b = this.frames[i + 1];
      out.push(b ? { ...b, spans: a.spans.concat(b.spans) } : a);
    }
    this.frames.length = 0;
    this.frames.push(...out);
  }
}
