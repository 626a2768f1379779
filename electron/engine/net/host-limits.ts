/**
 * How many connections a job may open to its mirror: the job's own `--max-per-host`, else what the
 * server accepted when it last refused one of ours (learned, kept by the host across jobs in
 * jobs/host-memory.ts), else no limit beyond the job's worker count.
 *
 * A learned limit comes from a refusal: vsftpd `max_per_ip`/`max_clients` and pure-ftpd `-C`/`-c`
 * answer `421`, proftpd `MaxClientsPerHost` a `530` after PASS (mirror/ftp-errors.ts maps them to
 * TOO_MANY_CONNECTIONS); the pool retires the refused worker and counts the sessions that were
 * working at once (core/run-pool.ts `PoolResult.refused`). HTTP has no such answer: a 429/503 is a
 * rate answer (Retry-After, net/host-pacer.ts), not a connection count, so HTTP limits are only the
 * ones given.
 */
import type { RememberedAutoKnees } from './auto-knee';

/** A limit learned from a refusal. */
export interface LearnedConnectionLimit {
  /** Connections the server accepted at once. */
  limit: number;
  /** ISO time it was learned. */
  since: string;
  /** The server's refusal, as it said it (shortened). */
  reason: string;
}

/**
 * Connection limits kept across jobs (the hosts give one to a job through its JobControl), and
 * with them, optionally, `--workers auto`'s knee per server (net/auto-knee.ts).
 */
export interface RememberedHostLimits extends RememberedAutoKnees {
  connectionLimit(hostKey: string): Promise<LearnedConnectionLimit | null>;
  rememberConnectionLimit(hostKey: string, limit: number, reason: string): Promise<void>;
  /** A job held more than the learned limit without a refusal: the server's limit has gone up. */
  forgetConnectionLimit(hostKey: string): Promise<void>;
}

/** `ftp://host:port` or `http(s)://host:port` of a mirror URL (ftps counts as ftp: same server); null if not a URL. */
export function hostLimitKey(mirrorUrl: string): string | null {
  let u: URL;
  try {
    u = new URL(mirrorUrl);
  } catch {
    return null;
  }
  const ports: Record<string, string> = { 'ftp:': '21', 'ftps:': '21', 'http:': '80', 'https:': '443' };
  const port = ports[u.protocol];
  if (!port) return null;
  const scheme = u.protocol === 'ftps:' ? 'ftp:' : u.protocol;
  return `${scheme}//${u.hostname.toLowerCase()}:${u.port || port}`;
}

export interface ConnectionPlan {
  /** Workers the job runs with (fixed N), or the most it may open (auto). */
  workers: number;
  /** The server's limit the job starts under (learned or given), or null. */
  serverLimit: number | null;
  /** What the job says at its start when a limit lowered its worker count (one line), or null. */
  note: string | null;
}

/**
 * The job's connection count under the per-host limit. `maxPerHost` (the user's) wins over a learned
 * limit: it is how a user overrides one.
 */
export function planConnections(opts: { hostKey: string; workers: number; maxPerHost?: number; learned: LearnedConnectionLimit | null }): ConnectionPlan {
  const { hostKey, workers, maxPerHost, learned } = opts;
  if (maxPerHost !== undefined) return { workers: Math.min(workers, maxPerHost), serverLimit: maxPerHost, note: null };
  if (!learned) return { workers, serverLimit: null, note: null };
  const lowered = learned.limit < workers;
  const note = lowered
    ? `${hostKey} accepted at most ${learned.limit} connection${learned.limit === 1 ? '' : 's'} when it refused one on ${shortTime(learned.since)} ("${learned.reason}"): ` +
      `this job opens at most ${learned.limit}, not ${workers}; to try more, give --max-per-host N (UI: "Connections per server")`
    : null;
  return { workers: Math.min(workers, learned.limit), serverLimit: learned.limit, note };
}

/** What to remember after a job: a new limit, forget the old one, or nothing. */
export function limitAfterJob(opts: {
  learned: LearnedConnectionLimit | null;
  refused: { accepted: number; reason: string } | null;
  /** Most sessions that worked at once in the job. */
  peakWorking: number;
}): { remember: { limit: number; reason: string } } | { forget: true } | null {
  if (opts.refused) return { remember: { limit: Math.max(1, opts.refused.accepted), reason: opts.refused.reason } };
  if (opts.learned && opts.peakWorking > opts.learned.limit) return { forget: true };
  return null;
}

/** `2026-11-30 22:50 UTC` */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A refusal's text as kept: one line, at most 120 characters. */
export function refusalReason(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** What the pool reports that matters here (core/run-pool.ts PoolResult). */
export interface PoolConnectionReport {
  refused: { accepted: number; error: { message: string } | null } | null;
  peakWorking: number;
}

/**
 * One job's per-host connection limit: read before the job (what it starts with and says), kept
 * after the pool ends (a refusal learned, or a learned limit the job went past without one).
 */
export class JobConnectionLimit {
  private constructor(
    readonly plan: ConnectionPlan,
    private readonly key: string | null,
    private readonly learned: LearnedConnectionLimit | null,
    private readonly memory: RememberedHostLimits | undefined,
  ) {}

  static async open(mirrorUrl: string, opts: { workers: number; maxPerHost?: number }, memory?: RememberedHostLimits): Promise<JobConnectionLimit> {
    const key = hostLimitKey(mirrorUrl);
    // Unreadable memory is no limit (it is a courtesy learned, not a setting).
    const learned = key && memory ? await memory.connectionLimit(key).catch(() => null) : null;
    const plan = planConnections({ hostKey: key ?? mirrorUrl, workers: opts.workers, maxPerHost: opts.maxPerHost, learned });
    return new JobConnectionLimit(plan, key, learned, memory);
  }

  /** Keeps what the pool showed; returns the line to say when a limit was learned, else null. */
  async afterPool(report: PoolConnectionReport): Promise<string | null> {
    const next = limitAfterJob({
      learned: this.learned,
      refused: report.refused ? { accepted: report.refused.accepted, reason: refusalReason(report.refused.error?.message ?? 'refused another connection') } : null,
      peakWorking: report.peakWorking,
    });
    if (!next || !this.key) return null;
    if ('forget' in next) {
      await this.memory?.forgetConnectionLimit(this.key).catch(() => {});
      return null;
    }
    await this.memory?.rememberConnectionLimit(this.key, next.remember.limit, next.remember.reason).catch(() => {});
    const n = next.remember.limit;
    return `${this.key} refused more than ${n} connection${n === 1 ? '' : 's'} at once: ${this.memory ? 'the next job to it opens' : 'a job to it should open'} at most ${n} (--max-per-host N to change)`;
  }
}
