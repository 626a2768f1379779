/** A summary of recent durations, all in milliseconds. */
export interface DurationSummary {
  /** Samples recorded since the pool started (the other fields use the most recent ones only). */
  count: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Keeps the last `capacity` samples in a ring: bounded memory however long the pool lives, and
 * percentiles that follow the current load rather than the whole history.
 */
export class DurationRecorder {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(capacity = 1024) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.samples[this.count % this.samples.length] = ms;
    this.count++;
  }

  summary(): DurationSummary {
    const n = Math.min(this.count, this.samples.length);
    if (n === 0) return { count: 0, mean: 0, p50: 0, p99: 0, max: 0 };
    const sorted = this.samples.slice(0, n).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))] ?? 0;
    return { count: this.count, mean: sum / n, p50: at(0.5), p99: at(0.99), max: sorted[n - 1] ?? 0 };
  }
}
