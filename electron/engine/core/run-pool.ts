import { setMaxListeners } from 'node:events';
import type { AutoWorkersDecision } from '../../../shared/events';
import { FanoutError, abortedError, toFanoutError } from './fanout-error';
import { startAutoTick } from './auto-tick';
import { FirstByteTimes } from './first-byte-times';
import { SharedQueueSource, SplitSource, type ItemSource } from './item-sources';
import { readRefusal } from './refusal-reading';
import { RefusalWaits } from './refusal-wait';
import { sleep, backoffDelay, pauseBeforeRetry, withRetry } from './retry';
import type { WorkerContext, WorkerProgress } from './worker-context';

import type { BatchOutcome, PoolResult, RunPoolOptions, WorkerSession } from './run-pool-options';

export type { BatchOutcome, PoolResult, RunPoolOptions, WorkerSession };

/** Codes meaning "this server wants fewer connections from us", not "this item is bad". */
const SHRINK_CODES = new Set(['TOO_MANY_CONNECTIONS', 'THROTTLED']);

/**
 * Runs items through N workers under a strategy. Each worker owns one session, opened lazily and
 * reused across items. Retryable errors are retried with backoff; permanent ones fail that item
 * only. A worker whose server refuses the connection (421, "too many connections") while other
 * workers are alive retires and gives its work back: the pool shrinks and goes on.
 */
export async function runPool<I>(opts: RunPoolOptions<I>): Promise<PoolResult> {
  const workers = opts.strategy === 'serial' ? 1 : Math.max(1, opts.workers);
  // The pool's own stop (a job-fatal error) on top of the caller's cancel.
  const stop = new AbortController();
  const signal = AbortSignal.any([opts.signal, stop.signal]);
  // Every worker, wait and transfer listens on it at once (as on the job's signal, see run-job.ts).
  setMaxListeners(Math.max(64, workers * 8), signal);
  let fatal: FanoutError | null = null;
  const units = opts.units ?? (() => 1);
  let source: ItemSource<I>;
  let split: SplitSource<I> | null = null;
  let queue: SharedQueueSource<I> | null = null;
  if (opts.strategy === 'split') {
    const all: I[] = [];
    for await (const item of opts.items) {
      if (signal.aborted) break;
      all.push(item);
    }
    source = split = new SplitSource(all, workers);
  } else {
    source = queue = new SharedQueueSource(opts.items, { strategy: opts.strategy, workers, total: opts.total, signal });
  }

  const auto = opts.strategy === 'queue' || opts.strategy === 'adaptive' ? opts.auto : undefined;
  /** Workers the pool should hold now: all of them, or the auto controller's target. */
  let target = auto ? Math.min(workers, auto.controller.target) : workers;
  /** Worker ids running now (an id is reused after its worker ended). */
  const running = new Set<number>();
  const tasks: Array<Promise<void>> = [];
  let alive = 0;
  let opened = 0;
  /** Sessions open now (a worker in backoff before its first login holds none). */
  let openNow = 0;
  /**
   * Sessions that finished an item, so surely hold a connection (sessions connect lazily: an
   * opened one may still be refused at its first item, so `openNow` over-counts what the server holds).
   */
  let provenNow = 0;
  let peakProven = 0;
  /** Workers whose connection has received bytes, running now. */
  let movingNow = 0;
  /** Workers whose last attempt was refused (TOO_MANY_CONNECTIONS, THROTTLED): they hold no connection. */
  const refusedNow = new Set<number>();
  /** Refusals whose limit was read from sessions that proved they hold a connection (finished an item, or logged in). */
  let provenReads = 0;
  /** Auto's first step reads how much of each item was waiting for its first byte. */
  const times = auto ? new FirstByteTimes(() => opts.telemetry.now()) : null;
  /** The first refusal that retired a worker (null until one, or when it came without an error). */
  let firstRefusal: FanoutError | null = null;
  /** Items processed successfully so far: proof that the server does accept some of our connections. */
  let successes = 0;
  const served = () => successes > 0 || opts.telemetry.bytesDone > 0 || opts.telemetry.itemsFailed > 0;
  const refusalWaits = new RefusalWaits(() => alive, opts.refusalWaitMs);
  let retired = 0;
  const unitsOf = (items: I[]) => items.reduce((n, it) => n + units(it), 0);

  const fail = (workerId: number, items: I[], err: FanoutError) => {
    refusalWaits.served();
    opts.telemetry.itemFailed(workerId, unitsOf(items));
    // An error of a whole batch gets each item's own context (it must not name its first item for
    // all); an item's own error keeps what it says (the exact UID, path), the item adding the rest.
    for (const item of items) {
      const ctx = opts.context?.(item) ?? {};
      opts.onItemFailed?.(item, items.length > 1 ? err.forItem(ctx) : err.withContext(ctx));
    }
  };

  const isFatal = (err: FanoutError) => opts.isJobFatal?.(err, { connected: successes > 0 }) ?? false;
  /** Stops the pool on the first job-fatal error; true when `err` is one (the caller drops its items). */
  const stopIfFatal = (err: FanoutError): boolean => {
    if (!isFatal(err)) return false;
    if (!fatal) {
      fatal = err;
      stop.abort(err);
    }
    return true;
  };

  // Retire only when another worker is alive and the server has already served us: otherwise the
  // refusal may be momentary (everyone logging in at once) and a backoff is the better answer.
  const shouldRetire = (err: FanoutError) => SHRINK_CODES.has(err.code) && alive > 1 && (successes > 0 || opened > 1);

  async function openSession(ctx: WorkerContext): Promise<WorkerSession<I> | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        ctx.progress.setState('connecting');
        const session = await opts.openWorker(ctx);
        opened++;
        openNow++;
        return session;
      } catch (raw) {
        const err = toFanoutError(raw);
        if (signal.aborted) throw abortedError();
        if (isFatal(err)) throw err;
        // Another worker holds a connection: this one is surplus to what the server allows.
        if (SHRINK_CODES.has(err.code) && opened > 0 && alive > 1) {
          firstRefusal ??= err;
          return null;
        }
        if (!err.retryable || attempt + 1 >= opts.attempts) throw err;
        ctx.progress.countRetry();
        ctx.progress.setState('retrying');
        await sleep(backoffDelay(attempt, opts.baseDelayMs ?? 200, 10_000), signal);
      }
    }
  }

  async function worker(workerId: number): Promise<void> {
    const counters = opts.telemetry.worker(workerId);
    /** This worker's connection has received bytes (for auto: a step is measured once its connections all do). */
    let moving = false;
    const lane = times?.lane();
    const progress: WorkerProgress = {
      ...counters,
      setState: (state, item) => {
        // The session left `connecting` for work: logged in (auto's step from the set-up).
        if (state === 'listing' || state === 'downloading') {
          lane?.ready();
          hadLogin = true;
        }
        counters.setState(state, item);
      },
      countRetry: () => {
        lane?.retried();
        counters.countRetry();
      },
      addBytes: (n) => {
        lane?.bytes(n);
        if (!moving && n > 0) {
          moving = true;
          movingNow++;
        }
        counters.addBytes(n);
      },
    };
    const ctx: WorkerContext = { workerId, signal, progress };
    /** Logged in once: a refusal later is its reconnect (pure-ftpd's out-of-step batch), maybe while the server
     *  still counts the connection it dropped. Not surplus at once: it knocks again once, after the base delay. */
    let hadLogin = false;
    let knockedAgain: 'no' | 'waiting' | 'yes' = 'no';
    let session: WorkerSession<I> | null = null;
    let proven = false;
    /** Refusals read from sessions that proved they hold a connection, before this worker started. */
    const readsBefore = provenReads;
    const retire = (items: I[], err?: FanoutError) => {
      source.giveBack(items);
      split?.releaseWorker(workerId);
      retired++;
      if (err) firstRefusal ??= err;
      opts.telemetry.retireWorker();
      // A refusal of a step already read from proven sessions says nothing new (refusal-reading.ts).
      if (auto && !(provenReads > readsBefore)) {
        const r = readRefusal({
          provenNow, peakProven, loggedIn: times ? times.loggedInNow - (lane?.loggedIn() ? 1 : 0) : 0,
          openOthers: openNow - (session ? 1 : 0), steppedAtSetUp: auto.controller.steppedAtSetUp,
        });
        const d = auto.controller.refused(opts.telemetry.now(), r.holding, 0, r.loggedIn);
        if (r.proven) provenReads++;
        if (d) applyDecision(d);
      }
      opts.onWarning?.(`worker ${workerId + 1} retired: ${err?.message ?? 'server refused another connection'}`, err);
    };
    try {
      for (;;) {
        // Auto lowered N: the surplus workers leave between items (check and leave in one step). Those refused are
        // leaving already: counted, the ones at work all left and the queue's rest was nobody's (38 of 120 books).
        if (auto && running.size - refusedNow.size > target) {
          running.delete(workerId);
          break;
        }
        if (opts.pause?.paused) {
          progress.setState('paused', null);
          await opts.pause.wait(signal);
        }
        progress.setState('idle');
        const batch = await source.take(workerId, signal);
        if (batch.length === 0 || signal.aborted) break;
        lane?.started();
        if (!session) {
          try {
            session = await openSession(ctx);
          } catch (raw) {
            const err = toFanoutError(raw);
            if (err.code === 'ABORTED' || stopIfFatal(err)) break;
            if (shouldRetire(err)) {
              retire(batch, err);
              return;
            }
            fail(workerId, batch, err);
            progress.setState('failed', opts.label(batch[0]!));
            continue;
          }
          if (!session) {
            retire(batch);
            return;
          }
        }
        const s: WorkerSession<I> = session;
        const groups = s.processBatch && batch.length > 1 ? [batch] : batch.map((it) => [it]);
        for (let g = 0; g < groups.length; g++) {
          const group = groups[g]!;
          if (g > 0) lane?.started();
          const label = group.length === 1 ? opts.label(group[0]!) : `${opts.label(group[0]!)} (+${group.length - 1})`;
          progress.setState('connecting', label);
          let outcome: BatchOutcome | void;
          /** This group's last refusal, while it waits to try again. */
          let refusal: FanoutError | null = null;
          const surplus = (err: FanoutError) => SHRINK_CODES.has(err.code) && alive > 1 && served();
          try {
            outcome = await withRetry(
              async () => {
                if (knockedAgain === 'waiting') {
                  knockedAgain = 'yes'; // the backoff's jitter may be ~0: give the server the base delay to let go
                  await sleep(opts.baseDelayMs ?? 200, signal);
                }
                // Refused before anyone was served (all logging in at once): rather than knock again
                // blindly, wait until another session is served, and then the refusal was the server's
                // limit: retire (a fixed N above the limit would otherwise keep opening refused
                // connections). Bounded: sessions that are never served do not hold this one forever.
                if (refusal && alive > 1) await refusalWaits.wait(signal);
                if (refusal && surplus(refusal)) throw refusal;
                return group.length > 1 ? s.processBatch!(group, ctx) : s.process(group[0]!, ctx);
              },
              {
                attempts: opts.attempts,
                baseDelayMs: opts.baseDelayMs,
                signal,
                progress,
                context: group.length === 1 ? opts.context?.(group[0]!) : undefined,
                onRetry: () => progress.resetItemBytes(),
                giveUp: (err) => {
                  refusal = SHRINK_CODES.has(err.code) ? err : null;
                  if (refusal?.code === 'TOO_MANY_CONNECTIONS' && hadLogin && knockedAgain === 'no') {
                    knockedAgain = 'waiting';
                    refusal = null;
                  }
                  if (refusal) refusedNow.add(workerId);
                  else refusedNow.delete(workerId);
                  refusalWaits.changed();
                  return (refusal !== null && surplus(refusal)) || isFatal(err);
                },
              },
            );
          } catch (raw) {
            const err = toFanoutError(raw);
            if (err.code === 'ABORTED' || signal.aborted || stopIfFatal(err)) return;
            if (shouldRetire(err)) {
              // Auto reads the limit from proven sessions: wait until each other worker finished an item or was
              // refused (at the first one served, the others may be mid-item: vsftpd limited to 3 was read as 1 or 2).
              // Its items go back first: the others may take them meanwhile (none is left behind at the tail).
              refusedNow.add(workerId);
              source.giveBack(groups.slice(g).flat());
              if (auto) await refusalWaits.until(() => provenNow + refusedNow.size >= alive, signal).catch(() => {});
              if (signal.aborted) return;
              retire([], err);
              return;
            }
            fail(workerId, group, err);
            progress.setState('failed', label);
            continue;
          }
          lane?.ended();
          clock?.poke();
          refusedNow.delete(workerId);
          // A batch may report items that failed on their own: count the rest, retry those alone.
          const done = outcome ? group.filter((_, i) => !outcome[i]) : group;
          successes += done.length;
          refusalWaits.served();
          if (!proven) {
            proven = true;
            provenNow++;
            peakProven = Math.max(peakProven, provenNow);
            refusalWaits.changed();
          }
          opts.telemetry.itemDone(workerId, unitsOf(done));
          if (!outcome) continue;
          for (let i = 0; i < group.length; i++) {
            const err = outcome[i];
            if (!err) continue;
            const item = group[i]!;
            if (signal.aborted || stopIfFatal(err)) return;
            if (!err.retryable) {
              fail(workerId, [item], err);
              continue;
            }
            try {
              // Retried alone, at once, unless the server asked for a wait (Retry-After).
              if (err.retryAfterMs !== undefined) await pauseBeforeRetry(err, 0, { baseDelayMs: 0, maxDelayMs: 0 }, signal, progress);
              await withRetry(() => s.process(item, ctx), {
                attempts: Math.max(1, opts.attempts - 1), baseDelayMs: opts.baseDelayMs, signal, progress,
                context: opts.context?.(item), onRetry: () => progress.resetItemBytes(), giveUp: isFatal,
              });
              successes++;
              opts.telemetry.itemDone(workerId, units(item));
            } catch (raw2) {
              const err2 = toFanoutError(raw2);
              if (err2.code === 'ABORTED' || signal.aborted || stopIfFatal(err2)) return;
              fail(workerId, [item], err2);
            }
          }
        }
      }
    } finally {
      alive--;
      refusalWaits.wakeIfAllWaiting();
      running.delete(workerId);
      progress.setState('stopped', null);
      if (session) openNow--;
      if (proven) provenNow--;
      if (moving) movingNow--;
      refusedNow.delete(workerId);
      refusalWaits.changed();
      lane?.closed();
      await session?.close().catch(() => {});
    }
  }

  /** Starts workers (lowest free ids) up to the target. */
  function spawn(): void {
    for (let id = 0; running.size < target && id < workers; id++) {
      if (running.has(id)) continue;
      running.add(id);
      alive++;
      tasks.push(worker(id));
    }
  }
  function applyDecision(d: AutoWorkersDecision): void {
    target = Math.min(workers, auto!.controller.target);
    opts.telemetry.setActiveWorkers(target);
    auto!.onDecision(d);
    spawn();
  }

  let clock: { stop(): void; poke(): void } | null = null;
  if (auto) {
    opts.telemetry.setActiveWorkers(target);
    auto.onDecision(auto.controller.startDecision());
    clock = startAutoTick({ auto, telemetry: opts.telemetry, pause: opts.pause, queue, times: times!, target: () => target, transferring: () => movingNow, apply: applyDecision });
  }
  spawn();
  // Workers may be added while others run: wait until no new one was started.
  const settled: Array<PromiseSettledResult<void>> = [];
  for (let waited = 0; waited < tasks.length; ) {
    const batch = tasks.slice(waited);
    waited = tasks.length;
    settled.push(...(await Promise.allSettled(batch)));
  }
  clock?.stop();
  if (fatal && !opts.signal.aborted) throw fatal;
  const crashed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (crashed && !opts.signal.aborted) throw toFanoutError(crashed.reason);
  // A source can end in error (the catalog could not be read): surface it.
  if (!opts.signal.aborted && !source.exhausted) throw new FanoutError('INTERNAL', 'the item source stopped before its end');
  const refused = retired > 0 ? { accepted: Math.max(1, peakProven), error: firstRefusal } : null;
  return { seen: source.seen, cancelled: opts.signal.aborted, retired, refused, peakWorking: peakProven };
}
