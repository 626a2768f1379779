/**
 * `--workers auto` remembers, per server (net/host-limits.ts `hostLimitKey`), the N its last job
 * settled at (its knee), or the most it held when the job ended still climbing; the next auto job to
 * that server starts there instead of at 4 (the climb from 4 costs a quarter to a half of a 1.2 s
 * job) and still measures: it steps up if it gains, back if the step is flat, and a refusal caps it;
 * when it stops at the knee and has held it 0.5 s, it measures below it too (halving N while that
 * loses < 10 %: the server may need fewer connections now). The job passes `fromKnee` for that.
 * Kept by the host across jobs (jobs/host-memory.ts `autoKnees`), forgotten after 30 days like the
 * limits. A knee never raises the job above a limit: the start is the least of the knee and the
 * job's most (already lowered to `--max-per-host` or a learned limit by `planConnections`).
 */
import { hostLimitKey, shortTime } from './host-limits';

/** What an auto job found about a server. */
export interface LearnedAutoKnee {
  /** Connections the job settled at (or held, when `climbing`). */
  workers: number;
  /** True when the job ended while throughput still grew with N: the knee is at or above `workers`. */
  climbing: boolean;
  /** ISO time the job ended. */
  since: string;
}

/** Auto knees kept across jobs (optional: a host without them starts auto at its default). */
export interface RememberedAutoKnees {
  autoKnee?(hostKey: string): Promise<LearnedAutoKnee | null>;
  rememberAutoKnee?(hostKey: string, workers: number, climbing: boolean): Promise<void>;
}

/** The start an auto job takes from a remembered knee, with the line it says; null: none remembered. */
export function autoStartFromKnee(opts: { hostKey: string; max: number; knee: LearnedAutoKnee | null }): { start: number; why: string } | null {
  const { hostKey, max, knee } = opts;
  if (!knee) return null;
  const start = Math.max(1, Math.min(knee.workers, max));
  const when = shortTime(knee.since);
  const found = knee.climbing
    ? `the last auto job to ${hostKey} was still climbing at ${knee.workers} when it ended on ${when}`
    : `the last auto job to ${hostKey} settled at ${knee.workers} on ${when}`;
  const lowered = start < knee.workers ? ` (at most ${max} for this job)` : '';
  return { start, why: `starting at ${start}${lowered}: ${found}; still measuring` };
}

/** One auto job's remembered knee: read before the job (its start and line), kept at its end. */
export class JobAutoKnee {
  private constructor(
    readonly start: { start: number; why: string } | null,
    private readonly key: string | null,
    private readonly memory: RememberedAutoKnees | undefined,
  ) {}

  static async open(mirrorUrl: string, opts: { max: number }, memory?: RememberedAutoKnees): Promise<JobAutoKnee> {
    const key = hostLimitKey(mirrorUrl);
    // Unreadable memory: the default start (a knee is a head start, not a setting).
    const knee = key && memory?.autoKnee ? await memory.autoKnee(key).catch(() => null) : null;
    return new JobAutoKnee(key ? autoStartFromKnee({ hostKey: key, max: opts.max, knee }) : null, key, memory);
  }

  /** Keeps what the controller found (`AutoWorkersController.knee`; null: not enough measured, nothing kept). */
  async afterJob(found: { workers: number; climbing: boolean } | null): Promise<void> {
    if (!found || !this.key || !this.memory?.rememberAutoKnee) return;
    await this.memory.rememberAutoKnee(this.key, found.workers, found.climbing).catch(() => {});
  }
}
