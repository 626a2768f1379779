/** `--workers auto`'s thresholds (auto-workers.ts), each with why it is that value. */

/**
 * A window at this share of the bandwidth cap is "at the cap": measured over a window at the cap,
 * throughput reads 15-20 % either side of it (bytes are counted as chunks land, the bucket lets
 * a burst through), and a step from 80 % could gain at most 25 % anyway.
 */
export const AT_CAP = 0.8;
/** From this share of the cap, a window is too close to it to step on a short reading. */
export const NEAR_CAP = 0.5;

/**
 * Each connection's throughput after a step, as a share of before it, that says the knee is far:
 * a doubling that gained 20 % or more. Latency-bound transfers keep nearly all of it; a job whose
 * CPU or link is near full keeps half or less.
 */
export const SLOW_START_KEEP = 0.6;
/**
 * A knee found by a flat step is tried again after this many windows, then twice as long each time.
 * Soon: a try at a real knee costs nothing but connections (2N moves what N does), while a false one
 * (a start-of-job window read while the machine was busy) costs the rest of the job.
 */
export const PROBE_AFTER_WINDOWS = 5;
/** An outcome that ends the climb is read over this many windows. */
export const STOP_WINDOWS = 3;
