/**
 * Why a problem is one, for programs (`detail` is for people and may be reworded any session;
 * decide on this, never on `detail`):
 * - `missing`: recorded (an index line, a manifest line, folders.json) but not on disk;
 * - `not-archived`: a message the server holds that the archive has no record of;
 * - `no-folder`: a folder asked for that neither the server nor the archive has;
 * - `vanished`: gone from the server while the check ran;
 * - `size`: not the size recorded (or the server's RFC822.SIZE);
 * - `hash`: the size recorded but other bytes (SHA-256, or the server's bytes);
 * - `denied`: this user may not read it: it may be whole (not to delete nor fetch over);
 * - `unreadable`: cannot be read for another reason (a directory in its place, an I/O error);
 * - `unrecorded`: in a directory no record names (which server folder it is was lost);
 * - `record`: a record of the archive itself (folders.json, state.json, index lines, a path outside) damaged or unusable;
 * - `temp`: an extra file that is a temp file of a stopped run (the next run removes it);
 * - `extra`: any other file on disk that nothing records;
 * - `unknown`: only in a report that crossed from another process (`withKnownReasons`) with a
 *   reason this build does not know (another build's) or none; no reader acts on it (never taken
 *   as a repairable one). Never made by this build's verify.
 */
export type VerifyReason = MadeVerifyReason | 'unknown';

/** The reasons this build's verify (engine/verify/) makes. */
export type MadeVerifyReason = 'missing' | 'not-archived' | 'no-folder' | 'vanished' | 'size' | 'hash' | 'denied' | 'unreadable' | 'unrecorded' | 'record' | 'temp' | 'extra';

export const VERIFY_REASONS: readonly MadeVerifyReason[] = ['missing', 'not-archived', 'no-folder', 'vanished', 'size', 'hash', 'denied', 'unreadable', 'unrecorded', 'record', 'temp', 'extra'];

/** `x` if it is a reason this build makes, else `unknown` (a report from another build, or damaged, crossing IPC). */
export function verifyReasonOf(x: unknown): VerifyReason {
  return typeof x === 'string' && (VERIFY_REASONS as readonly string[]).includes(x) ? (x as MadeVerifyReason) : 'unknown';
}

/** What `fanout verify` (and the History screen's Verify) found: problems by kind, and how much it looked at. */
export interface VerifyProblem {
  /** Where: a mail folder path, or the corpus's output folder. */
  where: string;
  /** The file, relative to `where`'s directory, when there is one. */
  file?: string;
  uid?: number;
  ebook?: number;
  /**
   * Why, for programs (see VerifyReason): every problem verify makes carries one (engine/verify/
   * verify-report.ts `MadeProblem`), and one arrived over IPC has one (`withKnownReasons`); decide on
   * it, never on `detail`.
   */
  reason: VerifyReason;
  /** Why, for people (may be reworded any session). */
  detail: string;
}

/**
 * A report as it arrived from another process (the host, over IPC): a `reason` this build does not
 * know (another build's), or none, reads `unknown`, so no reader acts on a value it cannot understand.
 */
export function withKnownReasons<T extends VerifyReport>(r: T): T {
  const clean = (list: VerifyProblem[] | undefined): VerifyProblem[] =>
    (Array.isArray(list) ? list : []).map((p) => {
      // Typed as this build's, it may hold anything: another build's reason, or none.
      const reason = verifyReasonOf((p as { reason?: unknown }).reason);
      return reason === p.reason ? p : { ...p, reason };
    });
  return { ...r, missing: clean(r.missing), corrupt: clean(r.corrupt), extra: clean(r.extra) };
}

export interface VerifyReport {
  kind: 'mail' | 'corpus';
  /** True when nothing is missing, corrupt or extra. */
  ok: boolean;
  checked: {
    /** Files re-hashed against the index or manifest. */
    files: number;
    /** Messages on the server compared with the archive (mail, when the server was asked). */
    serverMessages: number;
    /** Messages re-fetched and compared byte for byte (mail `--sample`). */
    sampled: number;
  };
  /** On the server (or in the index/manifest) but not on disk. */
  missing: VerifyProblem[];
  /** On disk, but not the bytes recorded (or the server's size / bytes). */
  corrupt: VerifyProblem[];
  /** On disk, but recorded nowhere (left by an interrupted run, or not ours). */
  extra: VerifyProblem[];
}
