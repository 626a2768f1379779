import type { AutoWorkersDecision } from '../../../shared/events';
import { AutoWorkersController, type AutoWorkersOptions, type AutoWorkersSample } from '../core/auto-workers';
import { FanoutError } from '../core/fanout-error';
import type { RunPoolOptions } from '../core/run-pool';
import type { LoginGate } from './imapflow-rounds';
import type { PlanLimits } from './plan-folder';

/**
 * `fanout mail --workers auto`: the job starts with MAIL_AUTO_START connections (the planning one
 * and one more) and the pool adds more while throughput grows (core/auto-workers.ts decides, the
 * pool applies; every chunk sits in the pool's shared queue, so a connection added later takes the
 * next chunk like any other). A server refusal (`TOO_MANY_CONNECTIONS`, including a connection
 * closed before its greeting while ours are logged in: `asConnectionLimit`) caps N for the job.
 */
export const MAIL_AUTO_START = 2;

/**
 * Messages per chunk under auto, at most: the controller counts chunks (below), so it needs tens
 * of them to measure a step. Under `adaptive` several chunks still go in one FETCH.
 */
const AUTO_CHUNK_MESSAGES = 100;

/** The plan limits under auto: smaller chunks (see AUTO_CHUNK_MESSAGES); the caller's own win. */
export function autoPlanLimits(limits: PlanLimits): PlanLimits {
  return { ...limits, chunkMessages: Math.min(limits.chunkMessages, AUTO_CHUNK_MESSAGES) };
}

/**
 * The shared controller, measuring steps in chunks rather than messages: a window waits for N/2
 * chunks after a change (each new connection logged in, EXAMINEd and streamed one) and N more.
 * Counted in messages, a window would close before the new connections had sent anything.
 */
export class MailAutoController extends AutoWorkersController {
  #chunks = 0;
  readonly #sessions: OpenSessions;

  constructor(opts: AutoWorkersOptions, sessions: OpenSessions) {
    super(opts);
    this.#sessions = sessions;
  }

  /** A chunk is done or failed. */
  chunkSettled(): void {
    this.#chunks++;
  }

  override observe(s: AutoWorkersSample): AutoWorkersDecision | null {
    return super.observe({ ...s, items: this.#chunks });
  }

  /**
   * The pool counts what the server holds as the sessions that finished a chunk (right for lazily
   * opened sessions; here a session that just logged in counts too: without it, auto settled at 2
   * on Courier and Cyrus limited to 3). A LOGIN refused (Dovecot, Cyrus) came after the LOGIN
   * before it had settled (`serialLogins`), so the sessions open now are exact. A connection closed
   * before login (Courier) was refused at connect, which overlaps: one accepted in the same step
   * may still be logging in, so those still opening count too; that over-counts while the step's
   * other refusals are on their way, but the limit only goes down, and the last refusal of the step
   * sees only the accepted ones.
   */
  override refused(atMs: number, holding: number, throughput?: number): AutoWorkersDecision | null {
    const held = this.#sessions.now + (this.#sessions.lastRefusedAtConnect ? this.#sessions.opening : 0);
    return super.refused(atMs, Math.max(holding, held), throughput);
  }
}

/**
 * The job's IMAP sessions logged in now (each counted from its login to its close). With
 * `serialLogins` (auto), a session opened without a gate of its own sends LOGIN only once the one
 * opened before it has settled: Dovecot counts a user's connections with some lag, so logins sent
 * together all pass a limit of 3 (auto held 4, stepping from 2 to 4), while logins one after the
 * other are refused exactly at the limit. Connecting, the greeting and ID still overlap.
 */
export class OpenSessions {
  #now = 0;
  #opening = 0;
  readonly #serialLogins: boolean;
  /** Settles when the last session opened has logged in or failed. */
  #lastLogin: Promise<unknown> = Promise.resolve();
  #lastRefusedAtConnect = false;

  constructor(opts: { serialLogins?: boolean } = {}) {
    this.#serialLogins = opts.serialLogins ?? false;
  }

  get now(): number {
    return this.#now;
  }

  /** Sessions connecting or logging in now. */
  get opening(): number {
    return this.#opening;
  }

  /** The last refusal was a connection closed before login (`asConnectionLimit`), not a LOGIN answered NO. */
  get lastRefusedAtConnect(): boolean {
    return this.#lastRefusedAtConnect;
  }

  /**
   * A session's reconnect (after its connection dropped) failed: read as at its first connect. The
   * session still counts itself (until closed), so another is logged in when more than one is.
   */
  reopenFailed(err: unknown): unknown {
    const mapped = asConnectionLimit(err, this.#now > 1);
    if (mapped !== err) this.#lastRefusedAtConnect = true;
    return mapped;
  }

  /**
   * Opens a session through `open` and counts it until it is closed. A connection closed before it
   * could log in while others are logged in is the server's limit (`asConnectionLimit`).
   */
  async open<S extends { close(): Promise<void> }>(open: (login?: LoginGate) => Promise<S>, login?: LoginGate): Promise<S> {
    let s: S;
    this.#opening++;
    try {
      if (!login && this.#serialLogins) login = { after: this.#lastLogin };
      const opened = open(login);
      this.#lastLogin = opened.catch(() => undefined);
      s = await opened;
    } catch (err) {
      const mapped = asConnectionLimit(err, this.#now > 0);
      if (mapped !== err) this.#lastRefusedAtConnect = true;
      else if (err instanceof FanoutError && err.code === 'TOO_MANY_CONNECTIONS') this.#lastRefusedAtConnect = false;
      throw mapped;
    } finally {
      this.#opening--;
    }
    this.#now++;
    const close = s.close.bind(s);
    let counted = true;
    s.close = () => {
      if (counted) this.#now--;
      counted = false;
      return close();
    };
    return s;
  }
}

/** The pool's `auto` option for a mail job: the controller, and each decision as a `job:workers` event. */
export function mailAutoPool(controller: MailAutoController, emit: (d: AutoWorkersDecision) => void): NonNullable<RunPoolOptions<unknown>['auto']> {
  return { controller, onDecision: emit };
}

/**
 * Courier's couriertcpd (`-maxperip`), and inetd-style limits generally, answer a connection over
 * the limit by closing it before the greeting: imapflow's `ClosedAfterConnectText` with no BYE
 * reason. While another connection of the job is logged in, that is the server's connection limit
 * (the pool retires the worker and auto caps N), not a broken server; before any login it stays
 * what it was (the job's first connection failing is no limit to learn).
 */
export function asConnectionLimit(err: unknown, othersLoggedIn: boolean): unknown {
  if (!othersLoggedIn || !(err instanceof FanoutError) || err.code !== 'CONNECTION_RESET') return err;
  const raw = err.cause as { code?: string; reason?: string } | undefined;
  if (raw?.code !== 'ClosedAfterConnectText' || raw.reason) return err;
  return new FanoutError(
    'TOO_MANY_CONNECTIONS',
    `${err.context.host ?? 'the server'} closed another connection before it could log in, while ours were logged in (a limit of connections per address)`,
    err.context,
    { cause: err },
  );
}
