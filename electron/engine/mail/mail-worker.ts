import type { FetchMessageObject, FetchQueryObject, ImapFlow } from 'imapflow';
import type { MailAccount } from '../../../shared/job-spec';
import { FanoutError } from '../core/fanout-error';
import { sleep } from '../core/retry';
import type { BatchOutcome, WorkerSession } from '../core/run-pool';
import type { WorkerContext } from '../core/worker-context';
import { accountWhere, openClient, releaseClient } from './connect';
import type { HeldMessage, MessageWriter } from './folder-store';
import { mapImapError } from './imap-errors';
import { examineFolder, takeBodyRows, type LoginGate } from './imapflow-rounds';
import { metaOf, storedFlags, toDate } from './message-meta';
import { metaOfSource } from './header-meta';
import { messageSize, type MessageBytes } from './message-file';
import { chunkLabel, uidValidityOf, type FolderJob, type MailChunk } from './plan-folder';
import { toUidSet } from './uid-set';
import type { ChunkBoard } from './chunk-board';

export interface MailWorkerOptions {
  account: MailAccount;
  timeoutMs: number;
  /** Bytes per partial FETCH of a large message. */
  partBytes: number;
  /** The job's writes and bytes in flight, shared by its connections (`JobWrites`). */
  writes: JobWrites;
  /** Called when a chunk's last message is on disk (the folder's state may then be saved). */
  onChunkDone(chunk: MailChunk): Promise<void>;
  /** A message is on disk and indexed (it counts as done from now on, on this worker's lane). */
  onMessageWritten(job: FolderJob, uid: number, workerId: number): void;
  /** Messages the server no longer had when their chunk was fetched (expunged meanwhile): neither done nor failed. */
  onVanished(job: FolderJob, uids: number[]): void;
  /** Awaited before each UID FETCH, once the folder is selected (tests change the mailbox there). */
  beforeFetch?(job: FolderJob, uids: number[]): Promise<void>;
  /** Chunks not started yet: a chunk of another folder is swapped for one of the folder selected. */
  board?: ChunkBoard;
  /**
   * The chunks' messages are all received (or known gone) and the connection is free for another
   * use, while their last writes still settle (`onChunkDone` / the pool's outcome come after).
   */
  onChunksReceived?(chunks: MailChunk[]): void;
  /**
   * Reads a failed reconnect (after a drop) as the job reads a first connect (`OpenSessions.reopenFailed`):
   * closed before the greeting while the job's other sessions are logged in is the server's limit, and
   * the pool retires the worker instead of failing each chunk it takes against the refused reconnect.
   */
  reopenFailed?(err: unknown): unknown;
}

// No ENVELOPE: the index's header fields are read from the bytes in hand (header-meta.ts).
const SMALL_QUERY = { uid: true, source: true, flags: true, internalDate: true } as const;

/**
 * Writes in flight, at most (and bytes, unless a single message is larger): the next message is
 * parsed while the previous ones are being written (creating a file is the costliest step on most
 * disks), and memory stays bounded by this budget.
 */
/** A body held in its temp file until its FLAGS and INTERNALDATE come (`#fetchSmall`'s `spilled`). */
interface Spilled {
  m: Pick<FetchMessageObject, 'uid' | 'flags' | 'internalDate'>;
  size: number;
  hold: Promise<HeldMessage> | null;
}

export interface WriteBudget {
  writes: number;
  bytes: number;
}

/** What a job keeps in flight in all with 4 connections or fewer: 32 writes (the size of mail's libuv pool), 4 MiB. */
const JOB_WRITES = 32;
const JOB_BYTES = 4 * 1024 * 1024;
/** Per connection, what more connections add to the job's total (8 writes, 1 MiB each beyond 4). */
const MIN_WRITES = 8;
const MIN_BYTES = 1024 * 1024;

/**
 * The job's budget with `connections` of them (for `--workers auto`, its most): 32 writes / 4 MiB
 * up to 4 connections, 8 / 1 MiB per connection beyond. One connection keeps as many fsyncs in
 * flight as four (with 8 writes, the pool's fsyncs ran 8 at a time and each group of index lines,
 * one folder fsync each, was smaller: 5,000 messages, N = 1, docs/BENCHMARKS.md "Session 5: mail
 * CPU per message").
 */
export function jobWriteBudget(connections: number): WriteBudget {
  const n = Math.max(1, Math.floor(connections));
  return { writes: Math.max(JOB_WRITES, MIN_WRITES * n), bytes: Math.max(JOB_BYTES, MIN_BYTES * n) };
}

/**
 * The job's writes in flight, shared by its connections: a connection takes what the others leave,
 * so the last one fetching (a chunk's tail, a folder planned late) has the job's 32 fsyncs in
 * flight, not its quarter of them while the others sit idle. A connection with nothing in flight
 * may always start one (each goes on, and a message larger than the budget is written alone),
 * so a job holds at most the budget plus one message per connection.
 */
export class JobWrites {
  readonly limit: WriteBudget;
  writes = 0;
  bytes = 0;
  #next: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(limit: WriteBudget) {
    this.limit = limit;
  }

  /** May a connection with `own` writes in flight start one of `size` bytes now? */
  fits(own: number, size: number): boolean {
    return own === 0 || (this.writes < this.limit.writes && this.bytes + size <= this.limit.bytes);
  }

  take(size: number): void {
    this.writes++;
    this.bytes += size;
  }

  release(size: number): void {
    this.writes--;
    this.bytes -= size;
    const wake = this.#wake;
    this.#next = null;
    this.#wake = null;
    wake?.();
  }

  /**
   * Resolves when the next write of the job settles. One promise for every waiter, not
   * Promise.race over the writes: that added a reaction to every write in flight for each message
   * that waited, and kept them all.
   */
  settled(): Promise<void> {
    this.#next ??= new Promise<void>((resolve) => (this.#wake = resolve));
    return this.#next;
  }
}

/**
 * One worker: one imapflow connection (reopened after a drop, since an ImapFlow cannot reconnect),
 * folders opened read-only (EXAMINE), and one streamed `UID FETCH <set> (BODY.PEEK[] ...)` per
 * chunk (or per batch of chunks of one folder). Messages are written (and indexed) while the next
 * ones are parsed, within the job's write budget (`JobWrites`);
 * each message is held once (written and hashed from imapflow's buffer, never copied). A large
 * message has a chunk of its own and is fetched in partial ranges, each piece written and hashed
 * before the next is asked for.
 *
 * Why no worker_threads: profiled on the built JS (`BENCH_CPU_PROF`, 2,000 messages / 85 MB, +25 ms
 * each way, N=4) the main thread is idle 40% of the run, imapflow's parsing takes 0.33 s of 3.8 s
 * and hashing 0.1 s; the cost is creating 2,000 files (about 0.7 ms of kernel time each on this
 * disk, already spread over libuv's thread pool) on two shared cores. Moving parsing to threads
 * would add message passing without touching that, so the connections stay on one thread; what
 * paid was overlapping writes with parsing (below).
 *
 * Accounting is per message: a message counts as done when its file and index line are on disk
 * and leaves its chunk's `uids` then; one the server no longer has leaves as skipped. What is left
 * in `uids` when a chunk fails is exactly what failed.
 */
export class MailWorkerSession implements WorkerSession<MailChunk> {
  #client: ImapFlow | null = null;
  /** A connection was open once: opening another is a reconnect. */
  #opened = false;
  readonly #opts: MailWorkerOptions;
  readonly #where: string;
  readonly #signal: AbortSignal;
  readonly #onAbort = () => this.#client?.close();
  /** The last use of the connection queued (see `#exclusive`). */
  #turn: Promise<unknown> = Promise.resolve();

  private constructor(opts: MailWorkerOptions, signal: AbortSignal) {
    this.#opts = opts;
    this.#where = accountWhere(opts.account);
    this.#signal = signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /**
   * Opens the connection at once, so a refused or surplus connection shows up here (the pool
   * retires it). `login` gates this first LOGIN (see `gateLogin`); a reconnection is not gated.
   */
  static async open(opts: MailWorkerOptions, ctx: WorkerContext, login?: LoginGate): Promise<MailWorkerSession> {
    const s = new MailWorkerSession(opts, ctx.signal);
    try {
      await s.#ensureClient(login);
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  async #ensureClient(login?: LoginGate): Promise<ImapFlow> {
    if (this.#client && this.#client.usable) return this.#client;
    if (this.#client) this.#client.close();
    this.#client = null;
    try {
      this.#client = await openClient(this.#opts.account, { signal: this.#signal, timeoutMs: this.#opts.timeoutMs, login });
    } catch (err) {
      throw this.#opened && this.#opts.reopenFailed ? this.#opts.reopenFailed(err) : err;
    }
    this.#opened = true;
    return this.#client;
  }

  /** Runs `fn` on this session's connection (reopened when it dropped): planning a folder before fetching. */
  withClient<T>(fn: (client: ImapFlow) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => fn(await this.#ensureClient()));
  }

  /**
   * One use of the connection at a time, in the order asked: planning a folder (which EXAMINEs
   * another folder) and fetching a chunk. A job with one connection plans and fetches on the same
   * session; a FETCH queued in imapflow behind another folder's EXAMINE would ask that folder for
   * this one's UIDs.
   */
  #exclusive<T>(fn: (release: () => void) => Promise<T>): Promise<T> {
    // `release` ends the turn before `fn` settles: the connection's last use is over (a FETCH
    // whose writes still settle), so the next use may go out meanwhile.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const run = this.#turn.then(() => fn(release));
    this.#turn = Promise.race([released, run.then(() => undefined, () => undefined)]);
    return run;
  }

  process(chunk: MailChunk, ctx: WorkerContext): Promise<void> {
    return this.#exclusive((release) => {
      this.#start([chunk]);
      // A small chunk's FETCH is the connection's last use in this call (a large one's pieces each wait for their write).
      return this.#run(chunk.job, [chunk], ctx, chunk.large ? undefined : release);
    });
  }

  /** The chunks are started here: one of another folder may become one of the folder selected (`ChunkBoard`). */
  #start(chunks: MailChunk[]): void {
    const mailbox = this.#client?.usable ? this.#client.mailbox : false;
    this.#opts.board?.start(chunks, mailbox ? mailbox.path : null);
  }

  /**
   * Several chunks: one FETCH per folder (large messages on their own). A folder that fails fails
   * only its chunks (the pool retries retryable ones alone); when nothing at all succeeded the
   * error is thrown, so the pool's batch-level handling (retiring a surplus connection) applies.
   */
  processBatch(chunks: MailChunk[], ctx: WorkerContext): Promise<BatchOutcome> {
    return this.#exclusive((release) => {
      this.#start(chunks);
      return this.#runBatch(chunks, ctx, release);
    });
  }

  async #runBatch(chunks: MailChunk[], ctx: WorkerContext, release: () => void): Promise<BatchOutcome> {
    const outcome: BatchOutcome = chunks.map(() => null);
    const groups = new Map<FolderJob | MailChunk, number[]>();
    chunks.forEach((c, i) => {
      const key = c.large ? c : c.job;
      const list = groups.get(key) ?? [];
      list.push(i);
      groups.set(key, list);
    });
    let succeeded = 0;
    let first: FanoutError | null = null;
    // Small chunks of one folder: one FETCH, the call's only use of the connection (see `process`).
    const oneFetch = groups.size === 1 && chunks.every((c) => !c.large);
    for (const idx of groups.values()) {
      const list = idx.map((i) => chunks[i]!);
      try {
        await this.#run(list[0]!.job, list, ctx, oneFetch ? release : undefined);
        succeeded++;
      } catch (raw) {
        const err = mapImapError(raw, this.#where, { folder: list[0]!.job.info.path });
        if (err.code === 'ABORTED' || this.#signal.aborted) throw err;
        first ??= err;
        for (const i of idx) outcome[i] = err;
      }
    }
    if (succeeded === 0 && first) throw first;
    return outcome;
  }

  /** `release`: called once the small chunks' FETCH is over, when it is the connection's last use in this call. */
  async #run(job: FolderJob, chunks: MailChunk[], ctx: WorkerContext, release?: () => void): Promise<void> {
    const label = chunks.length === 1 ? chunkLabel(chunks[0]!) : `${chunkLabel(chunks[0]!)} (+${chunks.length - 1})`;
    try {
      const small = chunks.filter((c) => !c.large);
      // A FETCH that broke off at a UID no try broke off at before (a new suspect: `#fetchSmall`)
      // made progress: it goes on at once on a new connection, the others first, instead of
      // spending one of the chunk's tries. A store with many messages the server cannot read
      // (Dovecot ends the session at each) lost every message after the fifth of a chunk, run
      // after run (HE s19 F10). Bounded by the chunk's UIDs (each round marks one more).
      for (let round = 1; small.length > 0; round++) {
        const marked = small.reduce((n, c) => n + (c.suspects?.length ?? 0), 0);
        try {
          await this.#fetchSmall(job, small, label, ctx, release);
          break;
        } catch (err) {
          const e = mapImapError(err, this.#where, { folder: job.info.path });
          const now = small.reduce((n, c) => n + (c.suspects?.length ?? 0), 0);
          if (!e.retryable || this.#signal.aborted || now === marked || small.every((c) => c.uids.length === 0)) throw e;
          // A retry as the pool's are (the lane says so, its count in the live view).
          ctx.progress.countRetry();
          ctx.progress.setState('retrying', label);
          await sleep(Math.min(2_000, 100 * round), this.#signal);
        }
      }
      for (const c of chunks) if (c.large) await this.#fetchLarge(job, c, ctx);
    } catch (err) {
      throw mapImapError(err, this.#where, { folder: job.info.path });
    }
    for (const c of chunks) {
      if (c.done || c.uids.length > 0) continue;
      c.done = true;
      await this.#opts.onChunkDone(c);
    }
  }

  /** The connection, with the job's folder selected read-only and its UIDVALIDITY checked. */
  async #select(job: FolderJob, label: string, ctx: WorkerContext): Promise<ImapFlow> {
    ctx.progress.setState('connecting', label);
    const client = await this.#ensureClient();
    const folder = job.info.path;
    if (client.mailbox === false || client.mailbox.path !== folder) {
      // Fetching needs no CONDSTORE (imapflow-rounds.ts); a connection that planned has it already.
      const mb = await examineFolder(client, job.info, { condstore: false }).catch((err: unknown) => {
        const e = mapImapError(err, this.#where, { folder });
        // It was there when planned: deleted or renamed since (Dovecot ends the FETCH under way with
        // "* BYE FETCH failed: Mailbox was deleted under us", and this EXAMINE after the reconnect fails).
        if (e.code !== 'FOLDER_NOT_FOUND') throw e;
        throw new FanoutError('FOLDER_NOT_FOUND', `Folder ${folder} was deleted or renamed on the server during the run: what was archived of it is kept; run again (a folder renamed is archived under its new name)`, e.context, { cause: err });
      });
      const uv = await uidValidityOf(client, mb.uidValidity, job.info);
      if (uv !== job.uidValidity) {
        throw new FanoutError('UIDVALIDITY_CHANGED', `Folder ${folder} was recreated on the server during the run (UIDVALIDITY ${job.uidValidity} → ${uv}); run again to archive its new generation`, { folder });
      }
    }
    return client;
  }

  /**
   * One streamed UID FETCH for the chunks' remaining messages. Once every message is received (or
   * known gone) the connection is handed on (`release`, `onChunksReceived`) while the last writes
   * settle: a job's only connection EXAMINEs its next folder meanwhile (plan-lanes.ts).
   */
  async #fetchSmall(job: FolderJob, chunks: MailChunk[], label: string, ctx: WorkerContext, release?: () => void): Promise<void> {
    const { store, uidValidity } = job;
    const budget = this.#opts.writes;
    const wanted = new Set<number>();
    let bytes = 0;
    for (const c of chunks) {
      for (const uid of c.uids) wanted.add(uid);
      bytes += c.bytes;
    }
    if (wanted.size === 0) return;
    /** UIDs the FETCH returned (written or being written). */
    const received = new Set<number>();
    /** UIDs the FETCH returned at another length than their planned RFC822.SIZE: UID → bytes received. */
    const wrongSize = new Map<number, number>();
    /**
     * Those bodies, held in their temp files (not renamed, no index line) until a NOOP and a UID
     * SEARCH after the FETCH tell a message still there (committed: the server's RFC822.SIZE is
     * approximate, as Exchange's is) from one expunged meanwhile (dropped: Courier's placeholder).
     */
    const held = new Map<number, HeldMessage>();
    /**
     * Bodies whose FLAGS or INTERNALDATE have not come (a server splitting its FETCH responses),
     * beyond the bytes kept in memory for them (`bodiless`, at most the job's write budget, HE s18
     * F8): held in their temp files (`holdMessage`, no descriptor kept; mtime given when the
     * INTERNALDATE comes: `restamp`), not in memory.
     */
    const spilled = new Map<number, Spilled>();
    const inflight = new Set<Promise<void>>();
    let writeError: unknown = null;
    /**
     * Set once the FETCH has ended (its loop returned or threw): a body row taken by the hook below
     * and parked on the write budget wakes after the chunks may have been told what is left, so it
     * must not start its write then (it would land after the job returned, or race the retry).
     */
    let fetchOver = false;
    const settle = () => Promise.allSettled([...inflight]);
    try {
      const client = await this.#select(job, label, ctx);
      await this.#opts.beforeFetch?.(job, [...wanted]);
      ctx.progress.setState('downloading', label);
      ctx.progress.setItemTotal(bytes);
      /**
       * Sorts a body received by its length: its planned RFC822.SIZE (`received`), or another
       * (`wrongSize`, true: held until a NOOP and a UID SEARCH tell an approximating server from
       * Courier's placeholder for one expunged meanwhile, never written as the message before).
       */
      const sortBody = (uid: number, size: number): boolean => {
        const planned = job.sizes.get(uid);
        const disputed = planned !== undefined && size !== planned;
        if (disputed) wrongSize.set(uid, size);
        else received.add(uid);
        return disputed;
      };
      /** Waits of this FETCH for room in the job's write budget now. */
      let budgetWaits = 0;
      /**
       * Until the job's write budget has room for `size` bytes more. Meanwhile the lane shows
       * 'writing' (its messages are received and their writes in flight at the budget: the disk is
       * the bottleneck), not 'downloading' with no byte moving (the live view's first straggler).
       * Back to 'downloading' after, unless the FETCH ended meanwhile (a row's write that then does
       * not start: the lane may be at its next work); `late`: a write after the FETCH (`write`'s).
       */
      const roomToWrite = async (size: number, late: boolean): Promise<void> => {
        if (budget.fits(inflight.size, size)) return;
        if (budgetWaits++ === 0) ctx.progress.setState('writing');
        try {
          while (!budget.fits(inflight.size, size)) await budget.settled();
        } finally {
          if (--budgetWaits === 0 && (late || !fetchOver)) ctx.progress.setState('downloading');
        }
      };
      /** Starts the write of a message received: false when a write failed (nothing more is written). */
      const write = async (m: Pick<FetchMessageObject, 'uid' | 'flags' | 'internalDate'>, source: MessageBytes, late = false): Promise<boolean> => {
        const { uid } = m;
        const size = messageSize(source);
        const disputed = sortBody(uid, size);
        ctx.progress.addBytes(size);
        await roomToWrite(size, late);
        if (writeError || (fetchOver && !late)) {
          received.delete(uid);
          wrongSize.delete(uid);
          return false;
        }
        budget.take(size);
        const meta = metaOfSource(m, source, uidValidity);
        if (disputed) {
          // Written, fsync'd and closed at once (no descriptor held while it waits: on a server
          // approximating every size, every body of the chunk waits, HE s18 F1).
          const hold = store.holdMessage(source, meta).then((h) => {
            held.set(uid, h);
          });
          track(hold, null, size);
          return true;
        }
        // A body in pieces (literal-pieces.ts) is written and hashed as its pieces (writev), not joined.
        track(store.writeMessage(source, meta), uid, size);
        return true;
      };
      /**
       * A write in flight until it settles: `uid` counts as written when it succeeds (null: not yet,
       * a held body), a failure is the FETCH's `writeError`; `taken`, the bytes this write took of the
       * budget (`budget.take`), released then; null when it took nothing (a held body's commit). Not 0
       * for "nothing": an empty message takes a write of 0 bytes, and its slot must come back (HE s18 F12).
       */
      const track = (work: Promise<unknown>, uid: number | null, taken: number | null) => {
        const done: Promise<void> = work
          .then(
            () => {
              if (uid === null) return;
              wanted.delete(uid);
              this.#opts.onMessageWritten(job, uid, ctx.workerId);
            },
            (err: unknown) => {
              writeError ??= err;
            },
          )
          .finally(() => {
            inflight.delete(done);
            if (taken !== null) budget.release(taken);
          });
        inflight.add(done);
      };
      // The rows are read from their bytes and written from here (body-rows.ts); a row this does not
      // take (not one of the chunks', already received, or once a write failed) comes out of
      // imapflow's iterator below as before.
      /**
       * RFC 3501 7.4.2 lets a server split one message's FETCH data over several untagged responses
       * (FLAGS and INTERNALDATE in one, BODY[] in another, in either order; none of Dovecot, Cyrus,
       * Courier does, tests/integration/mail/split-fetch.test.ts splits them through a relay). A body
       * is written only with both: items that came in a response without a body wait in `items`, a
       * body without them in `bodiless` until they come (or are asked for after the FETCH).
       */
      const items = new Map<number, Partial<Pick<FetchMessageObject, 'flags' | 'internalDate'>>>();
      const bodiless = new Map<number, { m: Pick<FetchMessageObject, 'uid' | 'flags' | 'internalDate'>; source: MessageBytes; size: number }>();
      /** Bytes of the bodies in `bodiless`: at most the job's write budget (then `spilled`). */
      let parkedBytes = 0;
      const taken = (uid: number) => !wanted.has(uid) || received.has(uid) || wrongSize.has(uid) || bodiless.has(uid) || spilled.has(uid) || store.has(uidValidity, uid);
      const withItems = (m: Pick<FetchMessageObject, 'uid' | 'flags' | 'internalDate'>) => {
        const got = items.get(m.uid);
        return { uid: m.uid, flags: m.flags ?? got?.flags, internalDate: m.internalDate ?? got?.internalDate };
      };
      /** A body without its items, beyond the bytes kept in memory: written to a held temp file. */
      const spill = async (m: Pick<FetchMessageObject, 'uid' | 'flags' | 'internalDate'>, source: MessageBytes, size: number): Promise<boolean> => {
        const { uid } = m;
        const entry: Spilled = { m, size, hold: null };
        spilled.set(uid, entry);
        ctx.progress.addBytes(size);
        await roomToWrite(size, false);
        if (writeError || fetchOver) {
          spilled.delete(uid);
          return false;
        }
        budget.take(size);
        // Flags and date are given when they come (`restamp`); the header's fields are read now.
        const meta = metaOfSource({ uid, flags: m.flags ?? new Set<string>(), internalDate: m.internalDate ?? new Date(0) }, source, uidValidity);
        entry.hold = store.holdMessage(source, meta);
        track(entry.hold, null, size);
        // Its items came while it waited for the budget.
        if (entry.m.flags !== undefined && entry.m.internalDate !== undefined) {
          spilled.delete(uid);
          land(uid, entry);
        }
        return true;
      };
      /**
       * A held body's items came: its mtime set, then committed (or, at another length than planned,
       * kept in `held` for the NOOP + UID SEARCH like any such body).
       */
      const land = (uid: number, entry: Spilled) => {
        const { hold } = entry;
        if (!hold) return;
        const disputed = sortBody(uid, entry.size);
        const planned = job.sizes.get(uid);
        const work = hold.then(async (h) => {
          try {
            await h.restamp(storedFlags(entry.m.flags), toDate(entry.m.internalDate));
          } catch (err) {
            await h.abort().catch(() => undefined);
            throw err;
          }
          if (disputed) held.set(uid, h);
          else await h.commit(planned);
        });
        track(work, disputed ? null : uid, null);
      };
      /** A body received: written when its FLAGS and INTERNALDATE are in hand, else held for them. */
      const offer = (m: Pick<FetchMessageObject, 'uid' | 'flags' | 'internalDate'>, source: MessageBytes): boolean | Promise<boolean> => {
        const whole = withItems(m);
        if (whole.flags === undefined || whole.internalDate === undefined) {
          const size = messageSize(source);
          if (parkedBytes > 0 && parkedBytes + size > budget.limit.bytes) return spill(whole, source, size);
          parkedBytes += size;
          bodiless.set(m.uid, { m: whole, source, size });
          return true;
        }
        return write(whole, source);
      };
      /** A response of a wanted message without a body: its items kept; a body waiting for them goes on. */
      const more = (m: FetchMessageObject): boolean | Promise<boolean> => {
        if (!wanted.has(m.uid) || (m.flags === undefined && m.internalDate === undefined)) return true;
        const got = items.get(m.uid) ?? {};
        if (m.flags !== undefined) got.flags = m.flags;
        if (m.internalDate !== undefined) got.internalDate = m.internalDate;
        items.set(m.uid, got);
        const sp = spilled.get(m.uid);
        if (sp) {
          sp.m = withItems(sp.m);
          // Still being written (its write waits for the budget): landed by `spill` when it starts.
          if (!sp.hold || sp.m.flags === undefined || sp.m.internalDate === undefined) return true;
          spilled.delete(m.uid);
          land(m.uid, sp);
          return !writeError;
        }
        const b = bodiless.get(m.uid);
        if (!b) return true;
        bodiless.delete(m.uid);
        parkedBytes -= b.size;
        return offer(b.m, b.source);
      };
      const stopRows = takeBodyRows(client, (row) => {
        if (writeError || taken(row.uid)) return false;
        return Promise.resolve(offer(row, row.source)).catch((err: unknown) => {
          writeError ??= err;
          return true;
        });
      });
      // UIDs at which an earlier try broke off go last, each in a FETCH of its own: a message the
      // server cannot serve (Dovecot ends the session, "BYE FETCH failed: Internal error occurred",
      // at a message file it cannot read) kept every UID after it in the chunk from being archived,
      // try after try; now the others are archived and the chunk fails with that UID alone.
      const suspects = new Set(chunks.flatMap((c) => c.suspects ?? []).filter((u) => wanted.has(u)));
      const rest = [...wanted].filter((u) => !suspects.has(u));
      const sets = [...(rest.length > 0 ? [rest] : []), ...[...suspects].sort((a, b) => a - b).map((u) => [u])];
      let asking: number[] = [];
      try {
        rounds: for (const set of sets) {
          asking = set;
          for await (const m of client.fetch(toUidSet(set), SMALL_QUERY, { uid: true })) {
            if (!m.source) {
              if (!(await more(m))) break rounds;
              continue;
            }
            if (taken(m.uid)) continue;
            if (!(await offer(m, m.source))) break rounds;
          }
        }
        asking = [];
      } catch (err) {
        // Asked for alone because an earlier try broke off there, and this FETCH failed too: said so.
        const [only] = asking;
        // The session ended under the FETCH before (a BYE imapflow ended that FETCH on without an
        // error): this one was never sent. Retried on a new connection, not said of this UID.
        if ((err as { code?: unknown } | null)?.code === 'NoMailboxSelected') {
          throw new FanoutError('CONNECTION_RESET', `${this.#where} ended the session during the FETCH of ${job.info.path}`, { folder: job.info.path }, { cause: err });
        }
        if (asking.length !== 1 || only === undefined || !suspects.has(only)) throw err;
        const e = mapImapError(err, this.#where, { folder: job.info.path, uid: only });
        if (e.code === 'ABORTED') throw e;
        throw new FanoutError(e.code, `${e.message} (${job.info.path} UID ${only}, asked for alone: the server fails on this message)`, { ...e.context, uid: only }, { cause: e });
      } finally {
        fetchOver = true;
        stopRows();
        // The FETCH failed: the first UID of it not returned is where the server broke off.
        const at = asking.filter((u) => wanted.has(u) && !taken(u)).sort((a, b) => a - b)[0];
        if (at !== undefined) {
          const owner = chunks.find((c) => c.uids.includes(at));
          if (owner && !owner.suspects?.includes(at)) owner.suspects = [...(owner.suspects ?? []), at];
        }
      }
      // Bodies whose FLAGS or INTERNALDATE never came: asked for (one round trip), then written.
      if ((bodiless.size > 0 || spilled.size > 0) && !writeError) {
        for await (const m of client.fetch(toUidSet([...bodiless.keys(), ...spilled.keys()]), { uid: true, flags: true, internalDate: true }, { uid: true })) {
          const b = bodiless.get(m.uid) ?? spilled.get(m.uid);
          if (b) b.m = { uid: m.uid, flags: b.m.flags ?? m.flags, internalDate: b.m.internalDate ?? m.internalDate };
        }
        for (const [uid, sp] of spilled) {
          spilled.delete(uid);
          land(uid, sp);
        }
        for (const [uid, b] of bodiless) {
          bodiless.delete(uid);
          if (!(await write(b.m, b.source, true))) break;
        }
      }
      bodiless.clear();
      parkedBytes = 0;
      // What the FETCH did not return: gone since planning, or an error (the connection is still this call's).
      if (!writeError) {
        const missing = new Set([...wanted].filter((u) => !received.has(u)));
        if (missing.size > 0) {
          // The held bodies are in their temp files (or failed) before they are judged.
          await settle();
          let absent: FanoutError | null = null;
          try {
            await this.#settleMissing(client, job, missing, wrongSize);
          } catch (err) {
            absent = err instanceof FanoutError && err.code === 'SIZE_MISMATCH' ? err : null;
            if (!absent) throw err;
          }
          for (const u of wanted) if (!received.has(u) && !missing.has(u)) wanted.delete(u);
          // Still there at another length: the body it sent is the message (committed); gone: dropped (finally).
          for (const [uid, w] of held) {
            if (!missing.has(uid) || writeError) continue;
            held.delete(uid);
            received.add(uid);
            // Its budget was released when its bytes were in the temp file. The size the server
            // announced is recorded with it (verify compares the server's answer with that).
            track(w.commit(job.sizes.get(uid)), uid, null);
          }
          if (absent) throw absent;
        }
      }
      if (release) {
        release();
        this.#opts.onChunksReceived?.(chunks);
      }
      await settle();
      if (writeError) throw writeError;
    } finally {
      // Every write has settled (done or failed) before the chunks are told what is left.
      await settle();
      for (const w of held.values()) await w.abort().catch(() => undefined);
      // Held for items that never came (the FETCH failed): dropped.
      for (const sp of spilled.values()) await sp.hold?.then((h) => h.abort()).catch(() => undefined);
      for (const c of chunks) c.uids = c.uids.filter((u) => wanted.has(u));
    }
  }

  /**
   * Messages the FETCH did not return, or returned at another length than planned (`wrongSize`, UID →
   * bytes): expunged since planning (removed from `wanted`, reported as vanished) or still there.
   * Still there at another length: the server's RFC822.SIZE is not its body's length (left in
   * `wanted`: the caller keeps the body it received). Still there and not returned: an error
   * (SIZE_MISMATCH, retried). A NOOP first lets the server report an expunge by another session this
   * one was not told of yet (Courier serves such a message as a 129-byte placeholder until then).
   */
  async #settleMissing(client: ImapFlow, job: FolderJob, wanted: Set<number>, wrongSize: ReadonlyMap<number, number> = new Map()): Promise<void> {
    const missing = [...wanted];
    await client.noop();
    const found = await client.search({ uid: toUidSet(missing) }, { uid: true });
    const still = new Set(Array.isArray(found) ? found : []);
    const vanished = missing.filter((u) => !still.has(u));
    for (const u of vanished) wanted.delete(u);
    if (vanished.length > 0) this.#opts.onVanished(job, vanished);
    const there = missing.filter((u) => still.has(u) && !wrongSize.has(u));
    if (there.length > 0) {
      const folder = job.info.path;
      throw new FanoutError('SIZE_MISMATCH', `The server did not return ${there.length} message(s) of ${folder} (UID ${toUidSet(there)})`, { folder, uid: there[0] });
    }
  }

  /**
   * A large message: `UID FETCH uid (BODY.PEEK[]<offset.part>)` until a piece comes short (the body's
   * end: not its RFC822.SIZE, which a server may only approximate), each piece written to the temp
   * file and hashed before the next is asked for. A first piece announcing another size than planned,
   * or a body ending at another length than announced, is committed only when a NOOP and a UID
   * SEARCH find the message still there (else it vanished: Courier's placeholder is dropped).
   */
  async #fetchLarge(job: FolderJob, chunk: MailChunk, ctx: WorkerContext): Promise<void> {
    const uid = chunk.uids[0];
    if (uid === undefined) return;
    const { store, uidValidity } = job;
    const folder = job.info.path;
    const wanted = new Set([uid]);
    const part = this.#opts.partBytes;
    let writer: MessageWriter | null = null;
    try {
      const client = await this.#select(job, chunkLabel(chunk), ctx);
      await this.#opts.beforeFetch?.(job, [uid]);
      ctx.progress.setState('downloading', chunkLabel(chunk));
      ctx.progress.setItemTotal(chunk.bytes);
      let size = 0;
      for (let offset = 0; ; offset += part) {
        const query: FetchQueryObject =
          offset === 0
            ? { uid: true, size: true, flags: true, internalDate: true, envelope: true, source: { start: 0, maxLength: part } }
            : { uid: true, source: { start: offset, maxLength: part } };
        const m: FetchMessageObject | false = await client.fetchOne(String(uid), query, { uid: true });
        // Asked from past the body's end (its length a multiple of the piece): the body is whole.
        if (writer && m && (!m.source || m.source.length === 0)) break;
        if (!m || !m.source) {
          // Expunged meanwhile (vanished: nothing to archive), or an error.
          await this.#settleMissing(client, job, wanted);
          if (!wanted.has(uid)) return;
          throw new FanoutError('SIZE_MISMATCH', `The server stopped returning ${folder} UID ${uid} at byte ${offset}`, { folder, uid });
        }
        if (!writer) {
          size = m.size ?? chunk.bytes;
          // Another size than planned may not be the message planned (Courier's placeholder for one expunged meanwhile).
          if (size !== chunk.bytes) {
            await this.#settleMissing(client, job, wanted, new Map([[uid, size]]));
            if (!wanted.has(uid)) return;
          }
          // FLAGS or INTERNALDATE not in the answer (a server may send them apart; fetchOne merges the
          // rows it got): asked for alone, not archived as [] and 1970.
          let whole = m;
          if (m.flags === undefined || m.internalDate === undefined) {
            const items = await client.fetchOne(String(uid), { uid: true, flags: true, internalDate: true }, { uid: true });
            if (items) whole = { ...m, flags: m.flags ?? items.flags, internalDate: m.internalDate ?? items.internalDate };
          }
          writer = await store.openMessage(metaOf(whole, uidValidity));
        }
        await writer.write(m.source);
        ctx.progress.addBytes(m.source.length);
        if (m.source.length < part) break;
      }
      if (!writer) throw new FanoutError('SIZE_MISMATCH', `The server returned nothing of ${folder} UID ${uid}`, { folder, uid });
      if (writer.bytes !== size) {
        // The server's RFC822.SIZE is approximate when the message is still there (kept), or the body was a placeholder (gone).
        await this.#settleMissing(client, job, wanted, new Map([[uid, writer.bytes]]));
        if (!wanted.has(uid)) return;
      }
      const w = writer;
      writer = null;
      await w.commit(size);
      wanted.delete(uid);
      this.#opts.onMessageWritten(job, uid, ctx.workerId);
    } finally {
      if (writer) await writer.abort();
      chunk.uids = chunk.uids.filter((u) => wanted.has(u));
    }
  }

  async close(): Promise<void> {
    this.#signal.removeEventListener('abort', this.#onAbort);
    const c = this.#client;
    this.#client = null;
    if (c) releaseClient(c);
  }
}
