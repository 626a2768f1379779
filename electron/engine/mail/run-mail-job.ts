import { getMaxListeners, setMaxListeners } from 'node:events';
import { join } from 'node:path';
import type { JobSummary } from '../../../shared/events';
import { MailJobSpecSchema, type MailJobInput, type MailJobSpec } from '../../../shared/job-spec';
import { FanoutError } from '../core/fanout-error';
import type { JobControl } from '../core/job-control';
import { runJob, type JobBodyContext } from '../core/run-job';
import { runPool } from '../core/run-pool';
import { accountWhere, preconnectUnlessWaiting } from './connect';
import { folderAbsDir, readFolderDirs, selectFolders } from './account-folders';
import { recoverFolderDirs } from './recover-folder-dirs';
import { takeOverRenamed } from './renamed-folders';
import { accountDirOf } from './folder-names';
import { FolderStore } from './folder-store';
import { writeFileAtomic } from '../output/atomic-file';
import { listFoldersOn, mailAccountWarnings, type MailFolderInfo } from './folders';
import { mapImapError } from './imap-errors';
import type { MailWorkerSession, MailWorkerOptions } from './mail-worker';
import { closeStores, startQuickListing, takeScannedFolderDirs, unchangedFolders } from './unchanged-check';
import type { LoginGate } from './imapflow-rounds';
import { toUidSet } from './uid-set';
import { chunkLabel, estimateNew, isUnchanged, planFolder, stillUnopenable, type ArchivedFile, type FolderJob, type FolderTally, type MailChunk, type PlanLimits } from './plan-folder';
import { reconcileFolder } from './reconcile';
import { ChunksInFlight, planOnLanes, type PlanLane } from './plan-lanes';
import { ChunkBoard } from './chunk-board';
import { BoundedChannel } from '../core/bounded-channel';
import type { WorkerContext } from '../core/worker-context';
import type { OutputLock } from '../output/output-lock';
import { prepareOutputFolder } from '../output/prepare-folder';
import { MAIL_FILES, planForOpenFiles } from '../core/open-files-check';
import { FatalStop, freeBytes, spaceNeededText, storageFault } from '../output/storage-fault';
import { autoPlanLimits, MAIL_AUTO_START, MailAutoController, mailAutoPool, OpenSessions } from './auto-connections';

/** Attempts per chunk for transient errors (dropped connection, BYE, throttling). */
const ATTEMPTS = 5;

const MiB = 1024 * 1024;

/**
 * Bytes of messages being received, over all connections: each connection parses one message
 * smaller than `largeMessageBytes` at a time, or one piece of a larger one, which imapflow holds
 * (and briefly copies once, when it joins the socket chunks). The threshold shrinks as
 * connections are added so that this total stays put: 4 MiB up to 4 connections, 2 MiB at 8.
 */
const RECEIVE_BUDGET = 16 * MiB;

export const DEFAULT_PLAN_LIMITS: PlanLimits = {
  chunkMessages: 250,
  chunkBytes: 8 * MiB,
  largeMessageBytes: 4 * MiB,
  partBytes: 4 * MiB,
};

/**
 * A job with one connection fetches a folder in chunks this large: the chunk is what the pool
 * hands out, and between two chunks the connection is idle (the last writes settle before the
 * chunk is done, then one round trip to the next FETCH's first byte), while with one connection
 * there is nobody to share chunks with. Memory does not grow with the chunk: messages are
 * received one at a time (imapflow waits for each to be taken) and written within the write
 * budget. A retry fetches only what is not on disk yet.
 */
const SINGLE_CONNECTION_CHUNK = { chunkMessages: 1000, chunkBytes: 64 * MiB };

/** The default limits for `connections` connections (see RECEIVE_BUDGET, SINGLE_CONNECTION_CHUNK). */
export function planLimitsFor(connections: number): PlanLimits {
  const large = Math.max(MiB, Math.min(4 * MiB, Math.floor(RECEIVE_BUDGET / Math.max(1, connections) / MiB) * MiB));
  return { ...DEFAULT_PLAN_LIMITS, ...(connections <= 1 ? SINGLE_CONNECTION_CHUNK : {}), largeMessageBytes: large, partBytes: large };
}

export interface MailJobExtras {
  limits?: Partial<PlanLimits>;
  /** Called after each message is on disk and indexed (folder path, UID). */
  onMessageWritten?(folder: string, uid: number): void;
  /** Awaited before each UID FETCH with the UIDs it asks for (tests change the mailbox there). */
  beforeFetch?(folder: string, uids: number[]): Promise<void>;
  /** False: no quick listing, the full path always (tests compare the two). */
  quickList?: boolean;
  /** What the quick listing decided: 'unchanged', 'changed', or why it gave way to the full path (tests). */
  onQuickListing?(decision: string): void;
  /**
   * Archived messages to fetch again, by folder path (`fanout verify mail --repair`: files verify
   * found damaged or missing): each UID whose index line names that file in the folder's current
   * generation (the server holds no other) is fetched again when the server still holds it, as a
   * file the run finds lost; others are left as they are (an older generation's: not restorable).
   * Those folders are planned even when nothing changed; the quick listing is not used.
   */
  repair?: Record<string, readonly ArchivedFile[]>;
}

/** The directory of an account's archive: `<out>/<user@host>/`. */
export function accountDir(spec: Pick<MailJobSpec, 'outDir' | 'account'>): string {
  return accountDirOf(spec.outDir, spec.account);
}

/**
 * Archives an IMAP account to `.eml` files under `<out>/<user@host>/<folder>/`: lists the folders
 * with LIST-STATUS on one planning connection, plans each changed folder (see `planFolder`), then
 * fetches the UID chunks over `connections` workers under the chosen strategy. A folder's
 * `state.json` is saved only once all its chunks are on disk; the index is kept current.
 */
export async function runMailJob(input: MailJobSpec | MailJobInput, control: JobControl, extras: MailJobExtras = {}): Promise<JobSummary> {
  const asked = MailJobSpecSchema.parse(input);
  // The open-files pre-flight (core/open-files-check.ts): the connections that fit this process's limit (ulimit -n), said once.
  const openFiles = asked.strategy === 'serial' ? null : planForOpenFiles(asked.connections, { noun: 'connections', profile: MAIL_FILES });
  const spec: MailJobSpec = openFiles?.note ? { ...asked, connections: openFiles.workers } : asked;
  // --workers auto (queue/adaptive): `connections` is the most; auto-connections.ts.
  const sessions = new OpenSessions({ serialLogins: spec.autoWorkers });
  const auto = spec.autoWorkers && (spec.strategy === 'queue' || spec.strategy === 'adaptive') ? new MailAutoController({ start: MAIL_AUTO_START, max: spec.connections }, sessions) : null;
  const defaults = planLimitsFor(spec.strategy === 'serial' ? 1 : spec.connections);
  const limits = { ...(auto ? autoPlanLimits(defaults) : defaults), ...extras.limits };
  const root = accountDir(spec);
  const where = accountWhere(spec.account);
  const tallies: FolderTally[] = [];
  // A storage error anywhere (folders.json, a folder's state) is DISK_FULL / OUTPUT_NOT_WRITABLE naming the folder.
  return runJob({ kind: 'mail', strategy: spec.strategy, workers: spec.connections, outDir: root, control, extras: { mailFolders: tallies } }, (job) => archiveAccount(job).catch((err: unknown) => {
    throw storageFault(err, root) ?? err;
  }));

  async function archiveAccount(job: JobBodyContext): Promise<void> {
    for (const w of mailAccountWarnings(spec.account)) job.warn(w);
    if (openFiles?.note) job.warn(openFiles.note);
    // Each connection listens for the abort (to close its socket at once).
    setMaxListeners(Math.max(getMaxListeners(control.signal), spec.connections * 2 + 10), control.signal);
    // An account archived before may have nothing new: the quick listing (quick-list.ts) is asked
    // at once, so that its round trips overlap the lock and the writable check below. It only reads.
    const repair = extras.repair ?? {};
    const repairing = Object.values(repair).some((files) => files.length > 0);
    const quick = extras.quickList === false || repairing ? null : await startQuickListing(spec.account, root, { timeoutMs: spec.timeoutMs, signal: control.signal });
    // Without a quick listing (a first run, an account left to imapflow) every run connects:
    // imapflow and the worker modules load now, while the lock and the writable check below wait
    // for the disk (compiling them is the main thread's, those calls the thread pool's).
    const workerModule = quick ? null : import('./mail-worker');
    workerModule?.catch(() => undefined);
    // Its first connection opens now too (unless the CLI opened it already): the connect and the
    // server's greeting overlap that loading, the lock and the writable check (connect.ts `preconnect`).
    let dropEarlyConnection = quick ? null : preconnectUnlessWaiting(spec.account);
    // The account's folder is locked for the run (a second job there is refused with OUTPUT_LOCKED)
    // and proved writable before any worker connection is opened (read-only / full: a clear error now).
    const lock: OutputLock = await prepareOutputFolder(root, 'mail', [], { signal: control.signal }).catch((err: unknown) => {
      dropEarlyConnection?.();
      throw err;
    });
    // A full or read-only disk stops the job: no more chunks are taken, the folder's state is not
    // saved, so the re-run fetches exactly what is not on disk.
    const stop = new FatalStop(control.signal);
    const jobs: FolderJob[] = [];
    const selected: Array<{ info: MailFolderInfo; store: FolderStore }> = [];
    const chunks: MailChunk[] = [];
    let skipped = 0;
    let pending = 0;
    const workerCount = spec.strategy === 'serial' ? 1 : auto ? auto.target : spec.connections;
    // One connection plans a folder, fetches it while it is selected, then plans the next. Not
    // under `split`: its pool divides the whole plan before fetching any chunk (it would wait forever).
    const inFlight = workerCount === 1 && !auto && spec.strategy !== 'split' ? new ChunksInFlight<MailChunk>() : null;
    const board = new ChunkBoard();
    const beforeFetch = extras.beforeFetch;
    // The worker connections (mail-worker.ts, with imapflow and libmime) are loaded only when the
    // job opens one: a run the quick listing shows has nothing new never loads them (start-up).
    let worker!: typeof import('./mail-worker');
    let workerOptions!: MailWorkerOptions;
    const loadWorkers = async () => {
      worker = await (workerModule ?? import('./mail-worker'));
      workerOptions = workerOptionsWith(new worker.JobWrites(worker.jobWriteBudget(spec.strategy === 'serial' ? 1 : spec.connections)));
    };
    const workerOptionsWith = (writes: MailWorkerOptions['writes']): MailWorkerOptions => ({
      account: spec.account,
      timeoutMs: spec.timeoutMs,
      partBytes: limits.partBytes,
      writes,
      reopenFailed: (err) => sessions.reopenFailed(err),
      onChunkDone: async (c: MailChunk) => {
        auto?.chunkSettled();
        inFlight?.settled(c);
        c.job.pendingChunks--;
        if (c.job.pendingChunks === 0 && !c.job.failed) await finishFolder(c.job, job);
      },
      // Counted per message, when its file and index line are on disk; the pool then counts each
      // chunk's remaining `uids` (0 when it succeeded, what was not written when it failed).
      onMessageWritten: (j, uid, workerId) => {
        j.tally.fetched++;
        job.telemetry.itemDone(workerId, 1);
        extras.onMessageWritten?.(j.info.path, uid);
      },
      onVanished: (j, uids) => {
        for (const u of uids) j.vanished.add(u);
        j.tally.vanished += uids.length;
        job.telemetry.addSkipped(uids.length);
        job.warn(`${j.info.path}: ${uids.length} message(s) (UID ${toUidSet(uids)}) were deleted on the server before they could be fetched; counted as skipped`);
      },
      beforeFetch: beforeFetch ? (j, uids) => beforeFetch(j.info.path, uids) : undefined,
      board,
      onChunksReceived: inFlight ? (cs) => cs.forEach((c) => inFlight.settled(c)) : undefined,
    });
    /** Worker sessions opened ahead of the pool, by lane, and whether the pool has asked for them. */
    const prewarmed = new Map<number, Promise<MailWorkerSession>>();
    const asked = new Set<number>();
    /** Lanes still planning, by worker id: the pool waits for its session until the lane is done. */
    const planning = new Map<number, Promise<void>>();
    /** folders.json being written (a folder was added): durable before anything is written in a folder's directory. */
    let foldersSaved: Promise<void> | null = null;
    let foldersError: unknown = null;
    /** Chunks handed to the pool as each folder is planned (closed when planning is over). */
    const planned = new BoundedChannel<MailChunk>(Number.POSITIVE_INFINITY);
    let pool: Promise<unknown> | null = null;

    const startPool = () => {
      pool ??= runPool<MailChunk>({
        items: drain(planned),
        workers: spec.connections,
        strategy: spec.strategy,
        signal: stop.signal,
        telemetry: job.telemetry,
        pause: control.pause,
        attempts: ATTEMPTS,
        baseDelayMs: 500,
        label: chunkLabel,
        units: (c) => c.uids.length,
        context: (c) => ({ folder: c.job.info.path, uid: c.uids[0] ?? c.first }),
        openWorker: async (ctx) => {
          asked.add(ctx.workerId);
          const early = prewarmed.get(ctx.workerId);
          prewarmed.delete(ctx.workerId);
          if (!early) return openSession(ctx);
          // The session may be planning a folder: it is handed over once that folder is planned
          // (a job's only connection takes turns instead: the session runs one use at a time).
          if (!inFlight) await planning.get(ctx.workerId);
          return early;
        },
        onItemFailed: (c, err) => {
          auto?.chunkSettled();
          inFlight?.settled(c);
          c.job.failed = true;
          const fault = storageFault(err, root);
          if (fault) stop.trip(fault);
          else job.reportFailure(chunkLabel(c), err);
        },
        onWarning: (message, err) => job.warn(message, err),
        auto: auto ? mailAutoPool(auto, (decision) => control.onEvent({ kind: 'job:workers', jobId: job.jobId, decision })) : undefined,
      });
    };

    /** Plans one folder on a lane's connection; its chunks go to the pool at once. */
    const planOne = async (info: MailFolderInfo, store: FolderStore, lane: PlanLane): Promise<void> => {
      if (control.signal.aborted) return;
      try {
        const plan = await lane.withClient((client) => planFolder(client, info, store, limits, foldersSaved, repair[info.path])).catch(async (err: unknown) => {
          // folders.json could not be written: the job's failure (storage), not this folder's.
          if (foldersSaved) await foldersSaved;
          throw mapImapError(err, where, { folder: info.path });
        });
        // It could be opened: an earlier run's unopenable mark (state.json) goes, so that a later listing without its STATUS is not taken as still unopenable.
        if (store.state.unopenable) {
          delete store.state.unopenable;
          if (foldersSaved) await foldersSaved;
          await store.saveState();
        }
        unplannedEstimate -= estimates.get(store) ?? 0;
        skipped += plan.alreadyArchived + plan.tally.vanished;
        job.telemetry.addSkipped(plan.alreadyArchived + plan.tally.vanished);
        tallies.push(plan.tally);
        if (plan.recovered > 0) job.warn(`${info.path}: ${plan.recovered} message(s) found on disk without an index line (an interrupted run, a lost index line) were recovered, not fetched again`);
        if (plan.refetched.length > 0) job.warn(`${info.path}: ${plan.refetched.length} archived message(s) (UID ${toUidSet(plan.refetched)}) were missing from the disk or damaged (another size than the index says, or found so by \`fanout verify mail\`); fetched again`);
        if (plan.unrestorable.length > 0) job.warn(`${info.path}: ${plan.unrestorable.length} archived message(s) (UID ${toUidSet(plan.unrestorable)}) are missing from the disk or not the size the index says, and the server no longer holds them: they cannot be restored (their index lines are kept)`);
        for (const [g, uids] of plan.olderDamaged) job.warn(`${info.path}: ${uids.length} archived message(s) of an earlier version of the folder (UIDVALIDITY ${g}, UID ${toUidSet(uids)}) are missing from the disk or damaged; the server no longer holds them (the folder was recreated there): they cannot be restored (their index lines are kept; \`fanout verify mail\` lists them)`);
        if (!plan.job) return;
        jobs.push(plan.job);
        for (const c of plan.chunks) pending += c.uids.length;
        job.telemetry.itemsTotal = skipped + pending + unplannedEstimate;
        if (plan.chunks.length === 0) {
          await finishFolder(plan.job, job);
          return;
        }
        inFlight?.add(plan.chunks);
        for (const c of plan.chunks) {
          board.add(c);
          chunks.push(c);
          void planned.push(c);
        }
        startPool();
      } catch (err) {
        if (foldersError) throw foldersError;
        const e = mapImapError(err, where, { folder: info.path });
        if (e.code === 'ABORTED') throw e;
        // Listed without \Noselect, yet the server cannot open it (Dovecot keeps listing a folder
        // deleted while it had subfolders, with \HasChildren only): not a folder of "all" to archive
        // any more (its archive is kept); named with --folders, still that folder's failure.
        // Said once: the mark in its state.json keeps later runs silent, and lets their quick listing
        // take the folder listed again without STATUS as still so (`stillUnopenable`).
        if (e.code === 'FOLDER_NOT_FOUND' && spec.folders === 'all') {
          if (store.state.unopenable) return;
          job.warn(`${info.path}: listed by the server, but it cannot be opened (the server says it does not exist: deleted while it had subfolders?); skipped, its archive is kept`);
          store.state.unopenable = { since: new Date().toISOString() };
          await store.saveState();
          return;
        }
        job.reportFailure(info.path, e);
      }
    };
    /** Messages LIST-STATUS announced in folders not planned yet (so the live total does not jump around). */
    let unplannedEstimate = 0;
    const estimates = new Map<FolderStore, number>();

    const sessionLanes: Array<Promise<PlanLane | null>> = [];
    const stoppers: Array<() => void> = [];
    /** A worker session opened ahead of the pool: it plans folders (a lane) until the pool asks for it. */
    const addLane = (id: number, p: Promise<MailWorkerSession>) => {
      p.catch(() => undefined);
      prewarmed.set(id, p);
      let stopped!: () => void;
      planning.set(id, new Promise<void>((r) => (stopped = r)));
      stoppers.push(stopped);
      // The lane plans once its connection is open; one that fails to open plans nothing.
      sessionLanes.push(
        p.then(
          (s): PlanLane => ({ wanted: () => asked.has(id), withClient: (fn) => s.withClient(fn), stopped, beforeNext: inFlight ? () => inFlight.idle(pool) : undefined }),
          () => (stopped(), null),
        ),
      );
    };
    const openSession = (ctx: WorkerContext, login?: LoginGate) => sessions.open((gate) => worker.MailWorkerSession.open(workerOptions, ctx, gate), login);
    const workerContext = (id: number): WorkerContext => ({ workerId: id, signal: control.signal, progress: job.telemetry.worker(id) });
    /** Opens worker sessions up to `count` in all (session 0 is the planning one). */
    const openSessions = (count: number, login?: LoginGate) => {
      for (let id = sessionLanes.length; id < count; id++) addLane(id, openSession(workerContext(id), login));
    };

    const planLane = job.telemetry.worker(0);
    /** Stores unchangedFolders opened (state.json read under the lock), taken over below instead of opened again. */
    let provedStores: Map<string, FolderStore> | null = null;
    try {
      const { dirs: listedDirs, text: foldersText } = await readFolderDirs(root);
      // folders.json gone or unreadable: the directories say which folder each holds (their state.json).
      // The run's disk scans (with the quick listing) walked the account already when they found it so: taken, not walked again.
      const existingDirs = foldersText === null ? ((await takeScannedFolderDirs(root)) ?? (await recoverFolderDirs(root))) : listedDirs;
      // Nothing new, proved by the quick listing: the folders as the full path would list them,
      // and the job goes on below exactly as it would (no connection opened: nothing to plan).
      planLane.setState('listing', 'folders');
      const unchanged = quick
        ? await quick.listing.then(async (q) => {
            const proved = q.ok ? await unchangedFolders(q.folders, existingDirs, root, spec.folders) : null;
            provedStores = proved?.stores ?? null;
            extras.onQuickListing?.(proved ? 'unchanged' : q.ok ? 'changed' : q.reason);
            return proved?.folders ?? null;
          })
        : null;
      let planner: MailWorkerSession | null = null;
      if (!unchanged) {
        // The quick listing showed work: the same early connection while imapflow loads.
        dropEarlyConnection ??= preconnectUnlessWaiting(spec.account);
        await loadWorkers();
        // The planning connection is worker 0's: it lists and plans, then fetches like the others
        // (N connections in all, and a run with one connection logs in once).
        let loggedIn!: () => void;
        let refused!: (err: unknown) => void;
        const firstLogin = new Promise<void>((resolve, reject) => {
          loggedIn = resolve;
          refused = reject;
        });
        firstLogin.catch(() => undefined);
        openSessions(1, { onLoggedIn: () => loggedIn() });
        // A first run of this account (no folders.json yet) has everything to fetch: the worker
        // connections are opened at the same time, and each sends LOGIN as soon as this one's LOGIN
        // has proved the credentials (a wrong password still costs one LOGIN, not N).
        if (Object.keys(existingDirs).length === 0) openSessions(workerCount, { after: firstLogin });
        planner = await prewarmed.get(0)!.catch((err: unknown) => {
          refused(err);
          throw err;
        });
      }
      try {
        planLane.setState('listing', 'folders');
        const folders =
          unchanged ??
          (await planner!.withClient((client) => listFoldersOn(client, existingDirs)).catch((err: unknown) => {
            throw mapImapError(err, where);
          }));
        // Folders renamed on the server since the last run take their archive along (renamed-folders.ts):
        // checked message by message on the planning connection, only when a new folder and a gone one share a UIDVALIDITY.
        const renamed = unchanged
          ? []
          : await planner!.withClient((client) => takeOverRenamed(client, folders, existingDirs, root)).catch((err: unknown) => {
              throw mapImapError(err, where);
            });
        const dirs: Record<string, string> = { ...existingDirs };
        for (const r of renamed) {
          delete dirs[r.from];
          job.warn(`${r.from} was renamed on the server to ${r.info.path}: its archive (${r.info.dir}) is kept for the new name, not fetched again`);
        }
        for (const f of folders) dirs[f.path] = f.dir;
        // Rewritten (fsync'd) only when a folder was added: a run with nothing new writes nothing.
        // Its fsyncs run while the folders are opened and their EXAMINEs go out: each plan waits
        // for it before it writes anything in the folder's directory (planFolder's `before`), and
        // so does the job before it ends; a failed write fails the job as it did when awaited here.
        const text = `${JSON.stringify({ version: 1, dirs }, null, 2)}\n`;
        if (text !== foldersText) {
          foldersSaved = writeFileAtomic(join(root, 'folders.json'), text).catch((err: unknown) => {
            foldersError = err;
            throw err;
          });
          foldersSaved.catch(() => undefined);
        }

        // Opened side by side (a directory and a state.json each), in the server's order; a run the
        // quick listing proved unchanged has them open already (unchangedFolders, under the lock).
        const storeOf = (info: MailFolderInfo): Promise<FolderStore> => {
          const proved = provedStores?.get(info.path);
          provedStores?.delete(info.path);
          return proved ? Promise.resolve(proved) : FolderStore.open(folderAbsDir(root, info.dir, info.path), info.path, { deferIndex: true });
        };
        const opened = await Promise.all(
          selectFolders(folders, spec.folders, job).map((info) =>
            storeOf(info).then(
              (store) => ({ info, store }),
              (err: unknown) => {
                job.reportFailure(info.path, mapImapError(err, where, { folder: info.path }));
                return null;
              },
            ),
          ),
        );
        for (const o of opened) if (o) selected.push(o);
        // Folders LIST-STATUS shows unchanged since the last complete run need no connection.
        const toPlan: typeof selected = [];
        const same = await Promise.all(selected.map((s) => (repair[s.info.path]?.length ? false : isUnchanged(s.info, s.store))));
        for (const [i, s] of selected.entries()) {
          // The quick listing proved it still unopenable (`stillUnopenable`): skipped as the full path skips it, no tally.
          if (unchanged && spec.folders === 'all' && stillUnopenable(s.info, s.store)) continue;
          if (same[i]) {
            const n = s.info.messages ?? 0;
            skipped += n;
            job.telemetry.addSkipped(n);
            tallies.push({ folder: s.info.path, onServer: n, archivedBefore: n, toFetch: 0, fetched: 0, vanished: 0 });
          } else toPlan.push(s);
        }
        // Only folders with something to do read their index.
        for (const s of [...toPlan]) {
          try {
            await s.store.loadIndex();
          } catch (err) {
            toPlan.splice(toPlan.indexOf(s), 1);
            job.reportFailure(s.info.path, mapImapError(err, where, { folder: s.info.path }));
          }
        }
        // Worker connections take several round trips to set up: when LIST-STATUS shows new mail,
        // open them now; each plans folders too (in parallel with this connection) until the
        // pool asks for it.
        for (const s of toPlan) estimates.set(s.store, estimateNew(s.info, s.store));
        const expected = [...estimates.values()].reduce((a, b) => a + b, 0);
        unplannedEstimate = expected;
        job.telemetry.itemsTotal = skipped + expected;
        const prewarmCount = expected === 0 ? 0 : Math.min(workerCount, Math.ceil(expected / limits.chunkMessages));
        // unchangedFolders proved every selected folder up to date by the same test, under the lock.
        if (unchanged && toPlan.length > 0) throw new FanoutError('INTERNAL', `${toPlan.length} folder(s) the quick listing showed unchanged need planning`, {});
        if (!unchanged) openSessions(Math.max(1, prewarmCount));
        const lanes = [...sessionLanes];
        const byFolder = new Map(toPlan.map((s) => [s.info, s.store]));
        try {
          await planOnLanes(
            toPlan.map((s) => s.info),
            lanes,
            (info, lane) => planOne(info, byFolder.get(info)!, lane),
            control.signal,
          );
          if (foldersSaved) await foldersSaved;
        } finally {
          for (const stopped of stoppers) stopped();
        }
      } finally {
        planLane.setState('idle');
        planned.close();
      }
      job.telemetry.itemsTotal = skipped + pending;
      // Folders were planned in parallel: report them in the server's order.
      const order = new Map(selected.map((s, i) => [s.info.path, i]));
      tallies.sort((a, b) => (order.get(a.folder) ?? 0) - (order.get(b.folder) ?? 0));
      if (pool) await pool;
      // A folder that neither finished nor failed would be reported done without being on disk.
      // Not after a stop (cancel, or a storage fault): its chunks were not tried, the re-run does them
      // (a folder listed FOLDER_INCOMPLETE beside the job's OUTPUT_NOT_WRITABLE / DISK_FULL was one
      // failure per untried folder for one cause).
      if (!stop.signal.aborted) {
        for (const j of jobs) if (j.pendingChunks > 0 && !j.failed) finishFailed(j, job, reconcileFolder(j) ?? new FanoutError('INTERNAL', `Folder ${j.info.path}: ${j.pendingChunks} chunk(s) neither finished nor failed`, { folder: j.info.path }));
      }
    } finally {
      // Planning stopped early (cancelled): chunks already handed out finish or stop first.
      if (pool) await (pool as Promise<unknown>).catch(() => undefined);
      // Sessions opened early but never used (fewer chunks than connections, or planning failed).
      for (const p of prewarmed.values()) await p.then((s) => s.close(), () => undefined);
      prewarmed.clear();
      // Whatever happened, the index on disk reflects every file on disk, with current flags.
      for (const j of jobs) await j.store.compact().catch(() => undefined);
      for (const s of selected) await s.store.close().catch(() => undefined);
      // Any proved store not taken over (the job stopped before it opened its folders).
      if (provedStores) await closeStores((provedStores as Map<string, FolderStore>).values());
      dropEarlyConnection?.();
      await lock.release();
    }
    if (stop.error) throw await withSpaceEstimate(stop.error, root, chunks.filter((c) => !c.done));
  }
}

/** The chunks of a channel, as the pool reads them. */
async function* drain(channel: BoundedChannel<MailChunk>): AsyncGenerator<MailChunk> {
  for (;;) {
    const batch = await channel.take(64);
    if (batch.length === 0) return;
    yield* batch;
  }
}

/** DISK_FULL says about how much more space the messages not yet written need (their planned sizes). */
async function withSpaceEstimate(err: FanoutError, root: string, left: MailChunk[]): Promise<FanoutError> {
  if (err.code !== 'DISK_FULL') return err;
  const messages = left.reduce((n, c) => n + c.uids.length, 0);
  const bytes = left.reduce((n, c) => n + c.bytes, 0);
  return new FanoutError('DISK_FULL', `${err.message}. ${messages} message(s) left: ${spaceNeededText(bytes, await freeBytes(root))}`, err.context, { cause: err.cause });
}

/**
 * Every chunk of the folder is done: check the folder against the server's UID list, then record
 * what was seen (state.json), or fail the folder with its numbers.
 */
async function finishFolder(folder: FolderJob, job: JobBodyContext): Promise<void> {
  await folder.store.compact();
  const incomplete = reconcileFolder(folder);
  if (incomplete) {
    finishFailed(folder, job, incomplete);
    return;
  }
  // What the disk holds now goes with it: a file or index line lost later makes the folder planned again.
  folder.store.state.synced = { ...folder.synced, ...(await folder.store.diskRecord()) };
  await folder.store.saveState();
}

function finishFailed(folder: FolderJob, job: JobBodyContext, err: FanoutError): void {
  folder.failed = true;
  job.reportFailure(folder.info.path, err);
}
