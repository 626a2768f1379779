import type { JobFatalCheck } from '../core/job-fatal';
import { abortedError, FanoutError, isAbortError, toFanoutError } from '../core/fanout-error';
import { MAX_RETRY_AFTER_MS } from '../core/retry';
import type { WorkerProgress } from '../core/worker-context';
import { redactUrl } from '../../../shared/input-checks';

/**
 * How long the mirror's refusal must have lasted before it stops the job (its first refusal at least
 * this old, and a try refused after that too). Tries alone are no time: `withRetry`'s backoff spends a
 * book's 5 tries in at most ~3 s, so an origin restarting behind a proxy, a CDN's 503 blip or a
 * per-IP limit still closed from the previous run stopped a job whose mirror served a few seconds later.
 * A longer Retry-After seen stretches it (capped at `MAX_RETRY_AFTER_MS`, 5 min, as the job caps every one). The run passes it (tests mock it to 0 and count requests).
 */
export const NOTHING_SERVES_GRACE_MS = 30_000;

/** What a server that answers nothing at all gives every try (a hung server, a firewall dropping the packets). */
export const NO_ANSWER = 'no answer within the timeout';

/**
 * The server's own refusal in an error, the same for every request of a mirror that serves nothing:
 * `HTTP 503` (any 5xx, 429), `FTP 421` (any 4xx/5xx reply but 550, which is a missing file, and 530
 * at login, which is AUTH_FAILED and stops the job already), or no answer at all in the network
 * timeout (`NO_ANSWER`; not the per-item timeout, the user's own cut of a slow book). Null for
 * anything else: a missing book, a cut connection, a full disk — what one book or one moment may meet.
 * The status or reply is the one the error carries (`detail.httpStatus`, `detail.ftpReply`), never
 * read from its words.
 */
export function serverRefusal(err: FanoutError): string | null {
  const { httpStatus, ftpReply } = err.detail;
  if (err.code === 'HTTP_TRANSIENT') return httpStatus !== undefined ? `HTTP ${httpStatus}` : null;
  if (err.code === 'FTP_TRANSIENT' || err.code === 'FTP_PERMANENT' || err.code === 'TOO_MANY_CONNECTIONS') return ftpReply !== undefined ? `FTP ${ftpReply}` : null;
  // The per-item deadline aborts its attempt: its TIMEOUT's cause is that abort.
  if (err.code === 'TIMEOUT' && !isAbortError(err.cause)) return NO_ANSWER;
  return null;
}

/**
 * "Nothing can succeed": a mirror that answers every request with the same refusal (nginx's
 * `return 503` for maintenance, an FTP server full of others' sessions answering 421 at every login)
 * made each book go through all its attempts and backoffs before it failed, one after the other: 41
 * books took ~54 s to fail, and then a re-run did it again. This stops the job once the first book
 * has failed all its tries while every try of the job so far got that same refusal, at least two
 * books were tried and no byte of any book arrived (the pool then rejects with it: `check` is the
 * job's `isJobFatal`, beside `serverUnreachable`). The books not finished stay pending, none is
 * recorded as failed for it.
 *
 * A server that refuses only some requests (nginx `limit_conn` answers 503 too, a 429/503 with
 * Retry-After to a burst) serves the others: the first byte of any book, a book fetched, or a try
 * meeting anything else (a 404, a cut) and the job is never stopped for this. The throttled
 * requests and the served ones are in flight together, so a book whose last try is refused while
 * another try is still in flight waits for that try's answer before its own failure counts (`track`):
 * which answer comes first cannot decide between a stop and a finished job.
 *
 * Tries are not time: the stop also waits until the first refusal is `graceMs` old (or the longest
 * Retry-After seen, if longer) and a try was refused after that. During that grace (every answer so
 * far the one refusal, nothing served) a try that would start a new book, or be a book's last, waits
 * (`#hold`: the lane shows `waiting`) until something is served or the grace is over; the tries in
 * between go on as usual and are what can see the mirror serve again. So a blip at the start (an
 * origin restarting behind a proxy, a 503 for a few seconds) fails no book (its held tries are
 * served once it is over), and a mirror refusing everything stops with one error once the grace
 * is over, its books pending (before the hold, a job of a few books had failed every one of them
 * within the grace, each on its own, and ended without that error). When every try out is a held
 * one, one new book's try goes (a scout): nothing idles the grace away where a try could see the
 * mirror serve. A last try is held only with 3 attempts or more (a try in between is left to see the
 * mirror serve): with 1 or 2 the books fail alone within the grace, as before the hold, and the job
 * stops only after it. With one worker a held last try idles the lane until the grace's end.
 */
export class NothingServes {
  /** The refusal every try got so far (undefined before the first failed try). */
  #refusal: string | undefined;
  /** A try got something else (a book, bytes, another error): the mirror serves; never stop. */
  #served = false;
  #tries = 0;
  readonly #triesOf = new Map<number, number>();
  #exhausted = false;
  /** Tries sent and not answered yet, and tries held by the grace (`#hold`). */
  #inFlight = 0;
  #waiters: Array<() => void> = [];
  /** The error that stopped the job (for `stopError`). */
  #stoppedBy: FanoutError | null = null;
  /** When the first refusal was answered (`now()`), undefined before. */
  #firstRefusalAt: number | undefined;
  /** The longest Retry-After (ms) a refusal asked for. */
  #longestRetryAfter = 0;
  /** A try was refused once the grace after the first refusal was over. */
  #refusedAfterGrace = false;
  readonly #graceMs: number;
  readonly #now: () => number;

  constructor(
    private readonly attempts: number,
    /** Bytes of books received so far (the job's telemetry): a book under way is served. */
    private readonly bytesDone: () => number,
    /**
     * `graceMs`: see `NOTHING_SERVES_GRACE_MS` (ms; 0 = tries alone decide). `now`: the clock (ms).
     * `onGrace`: told once, when the grace first holds a try, what the held lanes wait for (the job's
     * warning: the lanes read `waiting` and nothing said why).
     */
    options: { graceMs?: number; now?: () => number; onGrace?: (note: string) => void } = {},
  ) {
    this.#graceMs = options.graceMs ?? NOTHING_SERVES_GRACE_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#onGrace = options.onGrace ?? null;
  }

  /** Called at the first hold (then null). */
  #onGrace: ((note: string) => void) | null;

  /**
   * One try of `ebooks` on the mirror (a book, or a pipelined batch: then `errorsOf` gives each
   * book's outcome, null for fetched). During the grace a new book's try or a book's last waits
   * first (`#hold`); a try that fails a book for the last time while others are in flight waits for
   * them before it rejects (see the class comment).
   */
  async track<T>(
    ebooks: readonly number[],
    signal: AbortSignal,
    fetch: () => Promise<T>,
    errorsOf?: (result: T) => ReadonlyArray<FanoutError | null>,
    /** The lane, shown `waiting` while the grace holds the try, or while its last try waits for the answers in flight. */
    progress?: Pick<WorkerProgress, 'setState'>,
  ): Promise<T> {
    this.#inFlight++;
    let result: T;
    let lastTry: boolean;
    try {
      await this.#hold(ebooks, signal, progress);
      result = await fetch();
    } catch (raw) {
      this.#inFlight--;
      lastTry = this.#failed(ebooks, raw instanceof FanoutError ? raw : toFanoutError(raw), signal);
      this.#wake();
      if (lastTry) await this.#answersInFlight(signal, progress);
      throw raw;
    }
    this.#inFlight--;
    const errors = errorsOf?.(result) ?? [];
    lastTry = false;
    ebooks.forEach((ebook, i) => {
      const err = errors[i];
      if (err) lastTry = this.#failed([ebook], err, signal) || lastTry;
      else this.#served = true;
    });
    this.#wake();
    if (lastTry) await this.#answersInFlight(signal, progress);
    return result;
  }

  /** The job's `isJobFatal` part: true once nothing was served and a book failed all its tries on the one refusal. */
  readonly check: JobFatalCheck = (err, { connected }) => {
    if (this.#stoppedBy) return serverRefusal(err) === this.#refusal;
    if (connected || this.#inFlight > 0 || !this.#couldStop() || serverRefusal(err) !== this.#refusal) return false;
    this.#stoppedBy = err;
    return true;
  };

  /** Whether `err` is what stopped the job here. */
  stopped(err: unknown): err is FanoutError {
    return this.#stoppedBy !== null && err instanceof FanoutError && serverRefusal(err) === this.#refusal;
  }

  /** The job's one error: the mirror, the refusal, how many tries and books; the code and host kept. */
  stopError(err: FanoutError, url: string): FanoutError {
    const { ebook: _ebook, path: _path, ...context } = err.context;
    const detail = this.#refusal === NO_ANSWER ? '' : err.message.replace(/^(HTTP|FTP) \d{3}:?\s*/, '').trim();
    const message =
      `${redactUrl(url)}: every request so far got ${this.#refusal}${detail ? ` (${detail})` : ''}: ${this.#tries} tries of ${this.#triesOf.size} books, none served, ` +
      'so the mirror serves nothing now; try again later or another mirror. The job stopped; the books not fetched stay pending for a re-run.';
    return new FanoutError(err.code, message, context, { cause: err, retryAfterMs: err.retryAfterMs });
  }

  #couldStop(): boolean {
    return this.#mightStop() && this.#triesOf.size >= 2;
  }

  /**
   * All of the stop but "two books": a last try refused then waits for the tries in flight (held
   * ones too), which may be the second book (at the grace's end every held try goes at once).
   */
  #mightStop(): boolean {
    return !this.#served && this.#exhausted && this.#refusedAfterGrace && this.bytesDone() === 0;
  }

  /** The grace is running: refused, nothing served, not yet the grace (or the longest Retry-After) since the first refusal. */
  #graceLeftMs(): number {
    if (this.#served || this.#firstRefusalAt === undefined || this.bytesDone() > 0) return 0;
    return this.#firstRefusalAt + Math.max(this.#graceMs, this.#longestRetryAfter) - this.#now();
  }

  /**
   * Whether a try of `ebooks` waits for the grace: a book's last (with 3 attempts or more: a try in
   * between is left to see the mirror serve), or one of new books only, unless no try is out (every
   * one in flight held): then one new book's try goes (a scout; HE s18 F2: with attempts 2 and one
   * worker, one 503 parked the job for the whole grace though the mirror served again).
   */
  #holds(ebooks: readonly number[]): boolean {
    if (this.#graceLeftMs() <= 0) return false;
    if (this.attempts >= 3 && ebooks.some((e) => (this.#triesOf.get(e) ?? 0) + 1 >= this.attempts)) return true;
    if (!ebooks.every((e) => !this.#triesOf.has(e))) return false;
    // Others out: in flight (itself counted there too) and not held.
    return this.#inFlight - this.#held - 1 > 0;
  }

  /** Tries waiting in `#hold` now (counted in `#inFlight` too). */
  #held = 0;

  /** Waits while the grace holds a try of `ebooks`: until something is served (an answer wakes it), the grace is over, it may go as the scout, or `signal`. */
  async #hold(ebooks: readonly number[], signal: AbortSignal, progress: Pick<WorkerProgress, 'setState'> | undefined): Promise<void> {
    if (!this.#holds(ebooks)) return;
    progress?.setState('waiting');
    if (this.#onGrace) {
      const onGrace = this.#onGrace;
      this.#onGrace = null;
      onGrace(`every request so far was refused (${this.#refusal}): new books and last tries wait up to ${Math.ceil(this.#graceLeftMs() / 1000)} s for the mirror to serve again, then the job stops`);
    }
    this.#held++;
    // A new book held may now be the scout (no try out but held ones).
    this.#wake();
    await this.#holdWhile(ebooks, signal);
    if (signal.aborted) throw abortedError();
  }

  async #holdWhile(ebooks: readonly number[], signal: AbortSignal): Promise<void> {
    // Out of `#held` while it checks; a try that goes leaves it at once (two woken together: one scout).
    for (;;) {
      this.#held--;
      if (!this.#holds(ebooks) || signal.aborted) return;
      this.#held++;
      await this.#nextWake(signal, Math.max(1, this.#graceLeftMs()));
    }
  }

  /** Counts a failed try of `ebooks`; true when it was the last try of one of them and the job might stop for it (`#mightStop`). */
  #failed(ebooks: readonly number[], err: FanoutError, signal: AbortSignal): boolean {
    // A cancel or a stop is no answer of the server's.
    if (err.code === 'ABORTED' || signal.aborted) return false;
    const refusal = serverRefusal(err);
    if (refusal === null || (this.#refusal !== undefined && refusal !== this.#refusal)) this.#served = true;
    else {
      this.#refusal = refusal;
      // The grace counts from the first refusal's answer; the try that starts it is never after it.
      const now = this.#now();
      // Capped as the job caps every Retry-After (a day asked for held every lane for a day, HE s18 F7).
      this.#longestRetryAfter = Math.max(this.#longestRetryAfter, Math.min(err.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
      if (this.#firstRefusalAt === undefined) this.#firstRefusalAt = now;
      else if (now - this.#firstRefusalAt >= Math.max(this.#graceMs, this.#longestRetryAfter)) this.#refusedAfterGrace = true;
    }
    let last = false;
    for (const ebook of ebooks) {
      this.#tries++;
      const n = (this.#triesOf.get(ebook) ?? 0) + 1;
      this.#triesOf.set(ebook, n);
      if (n >= this.attempts) last = true;
    }
    if (last) this.#exhausted = true;
    return last && this.#mightStop();
  }

  /**
   * Resolves once no try is in flight or the job can no longer stop for this (or `signal` fired).
   * The lane shows `waiting` meanwhile (it showed the refused try's state, `connecting`, as if slow).
   */
  async #answersInFlight(signal: AbortSignal, progress: Pick<WorkerProgress, 'setState'> | undefined): Promise<void> {
    const waits = () => this.#inFlight > 0 && this.#mightStop() && !signal.aborted;
    if (waits()) progress?.setState('waiting');
    while (waits()) await this.#nextWake(signal);
  }

  /** Resolves at the next `#wake` (an answer, a hold let go), on `signal`'s abort, or after `timeoutMs` when given. */
  #nextWake(signal: AbortSignal, timeoutMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs);
      this.#waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
