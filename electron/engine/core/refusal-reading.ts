/**
 * What a "too many connections" refusal says the server holds, for `--workers auto` (run-pool.ts
 * reads it when a refused worker retires; the controller caps N there). What the other workers hold
 * now is what the server accepts, not the workers alive: some may still be waiting to log in, refused too.
 */

/** The pool's counts at the refusal, the refused worker left out. */
export interface RefusalCounts {
  /** Sessions that finished an item and are running now: they surely hold a connection. */
  provenNow: number;
  /** The most sessions proven at once so far in the job. */
  peakProven: number;
  /** The others' sessions that logged in (set up before their first byte) and run now. */
  loggedIn: number;
  /** The others' sessions opened and running now (lazily opened: most may be the refused). */
  openOthers: number;
  /** The controller's first step was taken from the sessions' set-up. */
  steppedAtSetUp: boolean;
}

export interface RefusalReading {
  /** Connections the server held at the refusal: the limit's reading. */
  holding: number;
  /** Sessions logged in (the controller counts them too after a step from the set-up). */
  loggedIn: number;
  /**
   * Read from sessions that proved they hold a connection (finished an item, or logged in after the
   * set-up step): a later refusal of the same step says nothing new (the count then is lower only
   * because surplus workers, those at work, left since: read again it fell 6 → 3 → 1 on vsftpd
   * limited to 6 and 3 → 1 on one limited to 3).
   */
  proven: boolean;
}

export function readRefusal(c: RefusalCounts): RefusalReading {
  // The others logged in hold connections too: the controller counts them after a step taken from
  // the set-up, when refusals come before most sessions proved.
  const byLogins = c.loggedIn > 0 && c.steppedAtSetUp;
  // None proven now: what the proven held at once (they left, refused when they connected again), else
  // the sessions logged in (pure-ftpd's first batches out of step, their reconnects refused: 28 open,
  // read as 28), else the sessions opened (the first logins racing each other).
  const unproven = c.peakProven > 0 ? c.peakProven : c.loggedIn > 0 ? c.loggedIn : c.openOthers;
  return { holding: c.provenNow > 0 ? c.provenNow : unproven, loggedIn: c.loggedIn, proven: c.provenNow > 0 || byLogins };
}
