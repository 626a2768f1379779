/**
 * For `--workers auto`'s first step (auto-workers.ts): how long the job's items (or batches) waited
 * from their request to their first byte, and how long they then took to their last, summed over the
 * finished ones. A connection that mostly waits (round trips, a login) leaves room for about
 * (wait + transfer) / transfer times as many connections; one that mostly transfers, little.
 */
export class FirstByteTimes {
  /** ms from each finished item's start (taken from the queue: opening a session counts) to its first byte, summed. */
  waitMs = 0;
  /** ms from each finished item's first byte to its end, summed. */
  transferMs = 0;
  /**
   * Sessions ready (logged in) before their first byte, one per lane, and their ms from the first
   * item's start to then, summed: known ~0.2 s before the first FTP files finish (auto-first-step.ts).
   */
  setUps = 0;
  setUpMs = 0;
  /** Lanes counted in `setUps` still running. */
  setUpsNow = 0;
  /**
   * Sessions logged in now (a refusal's reading, see run-pool.ts): lanes whose session said it was at
   * work or moved bytes, retried or not, until closed. Not `setUpsNow`, which leaves out what its timing
   * must (a session ready after its first byte: an FTP data connection may deliver before the control
   * connection's 150 reply; one retried) though such a session holds a connection all the same:
   * without them, a server limited to 3 whose third session was such a one, still in its first item
   * when the reading's wait ended, was read as 2 (run-pool-refusal-reading.test.ts).
   */
  loggedInNow = 0;
  /** Lanes whose session is setting up now (its first item started, not ready, no byte, not retried): since when. */
  readonly #settingUp = new Map<object, number>();

  constructor(private readonly now: () => number) {}

  /**
   * Sessions setting up now and their ms so far, summed: a lower bound of each one's set-up, known
   * before it ends (an FTP login through 50 ms of round trips is still going at the first tick).
   */
  settingUp(): { count: number; ms: number } {
    let ms = 0;
    const now = this.now();
    for (const since of this.#settingUp.values()) ms += now - since;
    return { count: this.#settingUp.size, ms };
  }

  /** One worker's current item. */
  lane(): { started(): void; ready(): void; bytes(n: number): void; retried(): void; ended(): void; counted(): boolean; loggedIn(): boolean; closed(): void } {
    let start = -1;
    let first = -1;
    /** This lane's set-up was seen (counted or not): later items reuse its session. */
    let setUp = false;
    /** Its set-up is in `setUps` (and in `setUpsNow` until `closed`). */
    let counted = false;
    /** The item (or its session's opening) was retried: its wait includes a backoff, not the server's latency. */
    let retried = false;
    /** Its session logged in (said it was at work, or moved bytes): in `loggedInNow` until `closed`. */
    let inNow = false;
    const loggedIn = () => {
      if (inNow) return;
      inNow = true;
      this.loggedInNow++;
    };
    const token = {};
    const settled = () => this.#settingUp.delete(token);
    return {
      started: () => {
        start = this.now();
        first = -1;
        retried = false;
        if (!setUp) this.#settingUp.set(token, start);
      },
      ready: () => {
        settled();
        loggedIn();
        // Ready after a first byte (HTTP connects for its first request): no set-up of its own.
        if (!setUp && start >= 0 && first < 0 && !retried) {
          this.setUps++;
          this.setUpsNow++;
          this.setUpMs += this.now() - start;
          counted = true;
        }
        setUp = true;
      },
      counted: () => counted,
      loggedIn: () => inNow,
      closed: () => {
        settled();
        if (counted) this.setUpsNow--;
        counted = false;
        if (inNow) this.loggedInNow--;
        inNow = false;
      },
      retried: () => {
        retried = true;
        settled();
      },
      bytes: (n) => {
        if (n > 0) loggedIn();
        if (first < 0 && start >= 0 && n > 0) {
          first = this.now();
          settled();
        }
      },
      ended: () => {
        settled();
        // An item that moved no bytes (a failure, an empty file) says nothing about waiting; a retried one, too much.
        if (first >= 0 && !retried) {
          this.waitMs += first - start;
          this.transferMs += this.now() - first;
        }
        start = -1;
        first = -1;
      },
    };
  }
}
