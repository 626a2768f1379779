import { readFileSync } from 'node:fs';

/**
 * The open-files pre-flight of a job: does this process's limit (`ulimit -n`, RLIMIT_NOFILE) leave
 * room for the workers asked? A job's descriptors at its busiest grow with its workers (a
 * `FilesProfile`: so many per worker, so many for the job and the process, and the least any job
 * holds). Measured (s19, the bundled CLI, peaks of /proc/<pid>/fd polled every 1 ms, 150 books /
 * 600 messages on loopback):
 * - Gutenberg, FTP: 1 → 47, 4 → 47, 8 → 56, 16 → 81, 32 → 126 (a worker: its control and data
 *   sockets, its `.part`); HTTP: 8 → 50, 16 → 66, 32 → 96. `GUTENBERG_FILES`: 3 each + 40, at least 47.
 * - mail: 1 → 53, 3 → 55, 4 → 59, 8 → 93, 16 → 165: a connection's socket, and the job's `.eml`
 *   writes in flight, each a temp file (mail/mail-worker.ts `jobWriteBudget`: max(32, 8 per
 *   connection)). `MAIL_FILES`: 9 each + 24, at least 57.
 *
 * Too few: the job runs with the workers that fit, and says so once at its start (a `job:warning`,
 * shown by the CLI and the live view), naming the limit, the workers asked and run, and the fix. A
 * job at the asked N meets EMFILE at its busiest moment: short peaks are waited out
 * (core/resource-retry.ts), a lasting shortage stops the job OUT_OF_RESOURCES with part of it done
 * and a re-run to make (s17: 16 FTP workers stopped at nofile 56-72 with 2 of 150 books done). The
 * user who asked for N wants the job done, whole on disk: the N that fit finish it, and the note
 * says how to run N next time. As a server's learned connection limit lowers the workers with a
 * note (net/host-limits.ts `planConnections`), so does this one.
 *
 * Node (and so the CLI) raises its soft limit to the hard one at start: what is read here is in
 * practice the hard limit, which only an administrator raises (`ulimit -Hn` as root, a systemd
 * service's LimitNOFILE=, `docker run --ulimit nofile=N:N`), or a shell's `ulimit -n N` below it.
 */

/** How a job's open files grow with its workers: `max(least, perWorker × workers + base)`. */
export interface FilesProfile {
  /** Descriptors a worker (a connection) adds at its busiest. */
  perWorker: number;
  /** Descriptors of the job and the process around its workers. */
  base: number;
  /** The least a job of this kind holds at its busiest, with one worker. */
  least: number;
}

/** A Gutenberg job (FTP, the most per worker; HTTP holds fewer): workers × 3 + 40, at least 47. */
export const GUTENBERG_FILES: FilesProfile = { perWorker: 3, base: 40, least: 47 };
/** A mail job: connections × 9 + 24 (a socket and 8 `.eml` writes in flight each), at least 57 (the job's 32 writes). */
export const MAIL_FILES: FilesProfile = { perWorker: 9, base: 24, least: 57 };

/** Descriptors `workers` workers of a job of `profile` need at their busiest. */
export function filesNeeded(workers: number, profile: FilesProfile = GUTENBERG_FILES): number {
  return Math.max(profile.least, workers * profile.perWorker + profile.base);
}

/**
 * This process's open-files limit now (its soft RLIMIT_NOFILE: Linux, /proc/self/limits; Node has no
 * call for it), or null when it cannot be read (other systems) or is unlimited. `limitsText`: the
 * file's text (tests).
 */
export function openFilesLimit(limitsText?: string): number | null {
  let text = limitsText;
  if (text === undefined) {
    if (process.platform !== 'linux') return null;
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return null;
    }
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  const n = Number(soft);
  return soft !== undefined && Number.isSafeInteger(n) && n > 0 ? n : null;
}

export interface OpenFilesPlan {
  /** The workers (connections) the job runs with: the asked number, or the most that fit. */
  workers: number;
  /** The limit read (null: not known, nothing checked). */
  limit: number | null;
  /** What the job says once at its start when the limit lowered its workers (one line), or null. */
  note: string | null;
}

/**
 * The workers a job runs with under the open-files limit: `workers` when they fit (or the limit is
 * not known), else the most that do (at least 1, said to be maybe too many when even 1 does not
 * fit), with the note that says so. `noun`: how the job names them ('workers' for Gutenberg,
 * 'connections' for mail); `profile`: the job's kind; `limit`: read now unless given.
 */
export function planForOpenFiles(workers: number, opts: { noun: 'workers' | 'connections'; profile?: FilesProfile; limit?: number | null }): OpenFilesPlan {
  const profile = opts.profile ?? GUTENBERG_FILES;
  const limit = opts.limit === undefined ? openFilesLimit() : opts.limit;
  const need = filesNeeded(workers, profile);
  if (limit === null || need <= limit) return { workers, limit, note: null };
  let fit = Math.min(workers - 1, Math.floor((limit - profile.base) / profile.perWorker));
  while (fit > 1 && filesNeeded(fit, profile) > limit) fit--;
  fit = Math.max(1, fit);
  const noun = opts.noun;
  const even = filesNeeded(1, profile) > limit ? ` (even 1 may be too many: it needs about ${filesNeeded(1, profile)})` : '';
  const note =
    `this process may have ${limit} files and connections open (ulimit -n): ${workers} ${noun} need about ${need} (${perWorkerText(profile)}), ` +
    `so this job runs ${fit} ${fit === 1 ? noun.slice(0, -1) : noun}, not ${workers}${even}; to run ${workers}, ${raiseLimitText(need)}`;
  return { workers: fit, limit, note };
}

/** How `profile` counts, as a note says it: `3 each + 40, at least 47`. */
export function perWorkerText(profile: FilesProfile): string {
  return `${profile.perWorker} each + ${profile.base}${profile.least > profile.perWorker + profile.base ? `, at least ${profile.least}` : ''}`;
}

/** The fix a note names for `need` descriptors: the limit to set, in the shell or, above the hard limit, by an administrator. */
export function raiseLimitText(need: number): string {
  let round = 1024; // a round number of descriptors to suggest (1024, 2048, 4096...)
  while (round < need) round *= 2;
  return (
    `raise the limit to ${need} or more (ulimit -n ${round} in the shell that starts fanout; ` +
    `above the hard limit, ulimit -Hn, only an administrator can: a systemd service's LimitNOFILE=, docker run --ulimit nofile=${round}:${round})`
  );
}
