import { amdahlSpeedup, fitSerialFraction } from '../../../shared/lab/speedup-fits';
import { sizedFirstStep } from './auto-first-step';
import type { StepReadings } from './auto-workers-readings';
import { SLOW_START_KEEP } from './auto-workers-rules';

/**
 * How far `--workers auto` steps up from `n` (the decisions are auto-workers.ts's), pure: the job's
 * first step sized from the items' waits, then slow start (× 4 while each connection keeps most of its
 * throughput, else × 2), and whether Amdahl's law fitted to the readings says the step would pay.
 */

/** The measured N and what the controller knows for sizing its step. */
export interface StepAt {
  n: number;
  /** The N before the last step up (null: none, the climb's first step). */
  prev: number | null;
  /** Throughput measured at `n`, bytes/s. */
  throughput: number;
  /** The most N allowed (maximum, limit). */
  cap: number;
  /** The job's first window with the pool's first-byte times: the share of the items' time spent waiting (null: not a sized first step). */
  firstWaiting: number | null;
}

/**
 * × 4 after a step that kept each connection's throughput at `SLOW_START_KEEP` of what it was (the
 * knee is still far: slow start), × 2 otherwise. The job's first step: as many more connections as
 * the waiting leaves room for (see first-byte-times.ts).
 */
export function stepSize(readings: StepReadings, at: StepAt): number {
  const { n, prev, throughput, cap } = at;
  if (at.firstWaiting !== null && prev === null) return sizedFirstStep(n, at.firstWaiting, cap);
  const prevX = prev !== null ? readings.throughput(prev) : undefined;
  const kept = prev !== null && prevX !== undefined && prevX > 0 && throughput / n >= SLOW_START_KEEP * (prevX / prev);
  return Math.min(cap, n * (kept ? 4 : 2));
}

/** The N after `n` if the climb goes on, or null when the fit says it would gain less than `minGain`. */
export function nextStep(readings: StepReadings, at: StepAt, minGain: number): number | null {
  if (at.n >= at.cap) return null;
  const next = stepSize(readings, at);
  const withThis = readings.points({ workers: at.n, throughput: at.throughput });
  // Two windows fit f too loosely to stop on (a noisy first window would end the climb at 4).
  if (withThis.length < 3) return next;
  return fittedGain(withThis, at.n, next).gain < minGain ? null : next;
}

/** Amdahl's serial fraction fitted to `points`, and the gain it predicts from `n` to `to`. */
export function fittedGain(points: Array<{ workers: number; throughput: number }>, n: number, to: number): { f: number; gain: number } {
  const f = fitSerialFraction(points);
  return { f, gain: amdahlSpeedup(to, f) / amdahlSpeedup(n, f) - 1 };
}
