import { availableParallelism } from 'node:os';
import { readFile, stat, unlink } from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import { basename, join, relative, resolve } from 'node:path';
import type { JobSummary } from '../../../shared/events';
import type { GutenbergJobSpec } from '../../../shared/job-spec';
import type { CatalogEntry } from '../catalog';
import { FanoutError, isAbortError, toFanoutError } from '../core/fanout-error';
import type { JobControl } from '../core/job-control';
import { runJob, type JobBodyContext, type SummaryExtras } from '../core/run-job';
import { AutoWorkersController } from '../core/auto-workers';
import { runPool, type BatchOutcome, type WorkerSession } from '../core/run-pool';
import { ItemDeadline } from '../core/item-deadline';
import { serverUnreachable, stoppedJobError } from '../core/job-fatal';
import type { WorkerContext, WorkerProgress } from '../core/worker-context';
import { isHeldBook, openMirror, type FetchedBook, type HeldBook, type Mirror, type OpenMirrorOptions } from '../mirror';
import { digestFile } from '../output/file-digest';
import { mainSiteProblem } from '../../../shared/gutenberg-mirrors';
import { redactUrl } from '../../../shared/input-checks';
import { Bandwidth } from '../net/bandwidth';
import { ftpHostKey } from '../mirror/ftp-host-state';
import { HostPacer } from '../net/host-pacer';
import { JobConnectionLimit } from '../net/host-limits';
import { JobAutoKnee } from '../net/auto-knee';
import { MAX_RETRY_AFTER_MS } from '../core/retry';
import { dirSyncs } from '../output/dir-sync-group';
import type { OutputLock } from '../output/output-lock';
import { prepareOutputFolder } from '../output/prepare-folder';
import { planForOpenFiles } from '../core/open-files-check';
import { FatalStop, freeBytes, spaceNeededText, storageFault } from '../output/storage-fault';
import { bookChange, recordedMtime } from './book-completion';
import { bookLabel, toBookItem, type BookItem } from './book-item';
import type { ManifestEntry } from './manifest-entry';
import { MANIFEST_FILE, ManifestStore, manifestDamageNote } from './manifest-store';
import { ScrubStage } from './scrub-stage';
import { isCandidateRawFile, LandedRaws } from './landed-raws';
import { RawFolderScan } from './raw-folder-scan';
import { NOTHING_SERVES_GRACE_MS, NothingServes } from './nothing-serves';
import { probeMirrorRoot, WrongRoot } from './wrong-root';
import { RerunNotes } from './rerun-notes';
import { JobSelection } from './job-selection';
import { leaseScrubPool, type ScrubPoolLease } from './scrub-pool-lease';
import { RawParts } from '../mirror/raw-parts';
import { giveHeldBuffer } from '../mirror/held-buffers';

/** A job refused before any download (folder locked or not writable, a policy): its failed summary, not a crash. */
function refusedSummary(spec: GutenbergJobSpec, outDir: string, control: JobControl, err: unknown): Promise<JobSummary> {
  return runJob({ kind: 'gutenberg', strategy: spec.strategy, workers: spec.workers, outDir, control, extras: { mirror: redactUrl(spec.mirror) } }, () => Promise.reject(err));
}

/**
 * Downloads the selected books from a mirror with N workers under a strategy, cleans them in the
 * scrubber pool, and writes `<out>/raw/`, `<out>/clean/<N>.txt` and `<out>/manifest.jsonl`.
 * A re-run skips books whose files still match the manifest and resumes partial downloads.
 * The output folder is locked for the run (a second job there is refused with OUTPUT_LOCKED); a
 * full disk stops the job with DISK_FULL, the books not yet whole on disk staying pending.
 * `read`: the selection as the host's input check read it (JobSelection.collect), so the job does
 * not read the catalog again; absent, the job reads it.
 */
export async function runGutenbergJob(spec: GutenbergJobSpec, control: JobControl, read?: JobSelection): Promise<JobSummary> {
  const outDir = resolve(spec.outDir);
  let lock: OutputLock;
  try {
    lock = await prepareOutputFolder(outDir, 'gutenberg', ['raw', 'clean'], { signal: control.signal });
  } catch (err) {
    // Refused before any download (folder locked, read-only, full): a failed summary, not a crash.
    return refusedSummary(spec, outDir, control, err);
  }
  try {
    return await runLocked(spec, control, outDir, read);
  } finally {
    await lock.release();
  }
}

async function runLocked(askedSpec: GutenbergJobSpec, jobControl: JobControl, outDir: string, read: JobSelection | undefined): Promise<JobSummary> {
  // Connections to the mirror: --max-per-host, else what the server accepted when it last refused one (net/host-limits.ts).
  const connections = await JobConnectionLimit.open(askedSpec.mirror, askedSpec, jobControl.hosts);
  // The open-files pre-flight (core/open-files-check.ts): the workers that fit this process's limit (ulimit -n), said once.
  const openFiles = askedSpec.strategy === 'serial' ? null : planForOpenFiles(connections.plan.workers, { noun: 'workers' });
  const spec: GutenbergJobSpec = { ...askedSpec, workers: openFiles?.workers ?? connections.plan.workers };
  // --workers auto starts at the knee its last job to this server found (net/auto-knee.ts), under the limits above.
  const knee = spec.autoWorkers ? await JobAutoKnee.open(spec.mirror, { max: spec.workers }, jobControl.hosts) : null;
  // One bandwidth cap for every connection of the job; the host may change it while the job runs.
  const control: JobControl = { ...jobControl, bandwidth: jobControl.bandwidth ?? new Bandwidth() };
  control.bandwidth!.setRate(spec.limitRate ?? null);
  const rawDir = join(outDir, 'raw');
  const cleanDir = join(outDir, 'clean');
  // One read of the catalog for the count and (a selection of up to 5,000 books) the books themselves;
  // none when the host's input check read it already and handed over what it picked (`read`).
  const selection = read ?? (await JobSelection.read(spec.catalog, spec.selection, control.signal));
  const total = selection.total;
  // Checked here too, not only by the hosts' input checks: every way in gets the same refusal.
  const policy = mainSiteProblem(spec.mirror, total, spec.allowMainSite);
  if (policy) {
    const refused = new FanoutError('BAD_INPUT', policy, { host: new URL(spec.mirror).hostname });
    return refusedSummary(spec, outDir, control, refused);
  }
  let manifest: ManifestStore;
  try {
    manifest = await ManifestStore.open(outDir);
  } catch (err) {
    // A manifest.jsonl this user may not read or write (OUTPUT_NOT_WRITABLE naming it): refused as
    // at the lock, a failed summary (it was thrown to the CLI's catch: an error line, and no JSON
    // on stdout with --json).
    return refusedSummary(spec, outDir, control, err);
  }
  // An FTP server found to need lock-step (see mirror/ftp-host-state.ts) is said once, as a warning.
  let warn: JobBodyContext['warn'] | null = null;
  // The host remembers the verdict (hosts): the next job to this server starts lock-step, unprobed.
  const ftpKey = ftpHostKey(spec.mirror);
  const lockStep = ftpKey !== null && (await control.hosts?.isLockStep(ftpKey).catch(() => false)) === true;
  let remembered: Promise<void> = Promise.resolve();
  const onLockStep = (host: string, reason: string) => {
    warn?.(`FTP server ${host}: ${reason}; no command is sent during a transfer for the rest of this job`);
    if (ftpKey !== null && control.hosts) remembered = control.hosts.rememberLockStep(ftpKey, reason).catch(() => {});
  };
  const mirror = openMirror(spec.mirror, { timeoutMs: spec.timeoutMs, tls: await mirrorTrust(spec), ftp: { lockStep, onLockStep }, proxy: spec.proxy });
  // Cleaning is CPU work and downloading mostly waits on the network: one scrub thread per core,
  // no more than books selected (a one-book job starts one thread: each costs ~60 ms CPU to boot
  // from the build, and they boot beside the first book on the same cores).
  // Started once the workers open (behind the first requests), kept warm for the process's next job.
  const scrubWorkers = spec.scrubWorkers ?? Math.min(4, Math.max(1, availableParallelism()), Math.max(1, total));
  // Each thread holds a few books: it cleans the next while a clean file's fsync runs (file tasks
  // are not abortable in piscina's sense, see scrub-pool.ts `dispatch`; else one book per thread).
  const scrubPool = leaseScrubPool({ executor: spec.scrubExecutor, size: scrubWorkers, maxQueue: scrubWorkers * 2, concurrentPerWorker: SCRUB_BOOKS_PER_THREAD });

  try {
    return await runJob(
      { kind: 'gutenberg', strategy: spec.strategy, workers: spec.workers, outDir, itemsTotal: total, control, extras: { mirror: redactUrl(spec.mirror) } },
      (ctx) => {
        warn = ctx.warn;
        // Lines of the manifest that are no record (manifest-store.ts): their books are fetched again, said once.
        const damageNote = manifestDamageNote(manifest.damage);
        if (damageNote) ctx.warn(damageNote);
        if (connections.plan.note) ctx.warn(connections.plan.note);
        if (openFiles?.note) ctx.warn(openFiles.note);
        return downloadAll(spec, control, ctx, { outDir, rawDir, cleanDir, manifest, mirror, scrubPool, scrubWorkers, total, selection, connections, knee });
      },
    );
  } finally {
    await Promise.allSettled([scrubPool.release(), mirror.close()]);
    await manifest.close().catch(() => {}); // every line was awaited: a failure here loses none
    await remembered; // on disk before the job ends (the CLI exits then)
  }
}

interface JobParts {
  outDir: string;
  rawDir: string;
  cleanDir: string;
  manifest: ManifestStore;
  mirror: Mirror;
  scrubPool: ScrubPoolLease;
  scrubWorkers: number;
  total: number;
  selection: JobSelection;
  connections: JobConnectionLimit;
  knee: JobAutoKnee | null;
}

async function downloadAll(spec: GutenbergJobSpec, control: JobControl, ctx: JobBodyContext, parts: JobParts): Promise<SummaryExtras> {
  const { outDir, rawDir, cleanDir, manifest, mirror } = parts;
  // raw/ listed once for the job, at its start: its `.part` files (no stat per book), and what the
  // re-run has to say about the books it finds there (raw-folder-scan.ts, rerun-notes.ts).
  const scanning = RawFolderScan.read(rawDir).catch((err: unknown) => {
    throw storageFault(err, outDir) ?? new FanoutError('WRITE_FAILED', `Cannot list ${rawDir}: ${(err as Error).message}`, { folder: rawDir }, { cause: err });
  });
  const listedParts = scanning.then((scan) => scan.partNames);
  // Each is awaited where it is used (pending(), the first book's .part): a failed listing fails the job there.
  scanning.catch(() => {});
  listedParts.catch(() => {});
  const rawParts = new RawParts(rawDir, listedParts);
  const notes = new RerunNotes();
  const { telemetry } = ctx;
  const bandwidth = control.bandwidth!;
  // The live rate reads the bytes as the cap passes them on (about the cap, not bursts and 0 B/s between).
  telemetry.cappedBy(() => bandwidth.rate);
  // Politeness toward the mirror: the wait between requests, and a Retry-After held by every lane.
  const pacer = new HostPacer(spec.waitMs ?? 0);
  // The per-item timeout (spec.itemTimeoutMs), and each book's time from its first attempt to landing.
  const deadline = new ItemDeadline(spec.itemTimeoutMs, control.onItemTimed);
  // A mirror refusing every request the same way (503 to all, 421 at every login) stops the job once a book used all its tries
  // and the refusal has lasted the grace (a 503 blip of a few seconds is no stop); meanwhile new books and last tries wait.
  // Its grace said once as a warning: the held lanes read `waiting`, and nothing said what for.
  const nothing = new NothingServes(spec.attempts, () => telemetry.bytesDone, { graceMs: NOTHING_SERVES_GRACE_MS, onGrace: (note) => ctx.warn(`${redactUrl(spec.mirror)}: ${note}`) });
  // A wrong mirror root (every book missing): once the first books are, the root is listed once; no Gutenberg layout there stops the job.
  const wrongRoot = new WrongRoot(parts.total, () => telemetry.bytesDone, (signal, missing, session) => probeMirrorRoot(mirror, spec.mirror, signal, missing, session));
  const heedRetryAfter = (err: unknown) => {
    // Capped as the retry's own wait is: a "come back tomorrow" fails its book, it does not park the job.
    if (err instanceof FanoutError && err.retryAfterMs !== undefined) pacer.holdFor(Math.min(err.retryAfterMs, MAX_RETRY_AFTER_MS));
  };
  // A full or read-only disk stops the whole job: the pool takes no more books, the books in
  // flight stop, and none of them gets a manifest line (they were not tried; the re-run does them).
  const stop = new FatalStop(control.signal);
  // The job's bandwidth cap; a stopped job's bytes no longer wait for it (net/bandwidth.ts `take`).
  const pace = (bytes: number) => bandwidth.take(bytes, stop.signal);
  // Room for every download worker to hand over a book and go on (cleaning must not stall
  // downloads); still bounded, so memory is a few books per worker, whatever the corpus size.
  const bound = spec.scrubQueue === 'unbounded' ? Infinity : (spec.scrubQueue ?? Math.max(parts.scrubWorkers * 2, spec.workers * 2));
  const stage = new ScrubStage(parts.scrubPool, { maxInFlight: bound, signal: stop.signal });
  // Books handed to the scrubber: the pool does not count them (`units` 0); the scrubber's end
  // does, done when the book's line is written, failed when cleaning failed, neither when stopped.
  // Counted when the download ended, a book stopped in the scrubber was taken back: the live count
  // went down, and items/s below zero.
  const handed = new Set<number>();
  // Books fetched again because their files changed: the raw file their line named, removed once a new
  // line names another (the mirror now holds the book under another name), or it stays, recorded by no line.
  const supersededRaw = new Map<number, string>();
  // Each book being cleaned listens on it (up to the stage's bound): expected, not a leak.
  setMaxListeners(Number.isFinite(bound) ? 64 + spec.workers * 8 + bound : 0, stop.signal);
  // One warning at the end for all bad rows (count and the first few), not one per row.
  const badRows = parts.selection.badRows;
  /** Books recorded ok in this run and their bytes on disk: the basis of "how much more space". */
  const written = { books: 0, bytes: 0 };
  // Whole raw files an earlier job landed and could not record (it was stopped): adopted, not fetched.
  const landed = await LandedRaws.open(outDir, spec.mirror);

  /** True when `err` stopped the job (storage fault) or came from the stop: the book is not recorded. */
  const stopsJob = (err: FanoutError): boolean => {
    const fault = storageFault(err, outDir);
    if (fault) stop.trip(fault);
    return fault !== null || (stop.error !== null && isAbortError(err));
  };
  /** Records a failed book; a storage fault while doing so stops the job instead. */
  const recordFailure = async (entry: ManifestEntry): Promise<void> => {
    try {
      await manifest.append(entry);
    } catch (raw) {
      const err = raw instanceof FanoutError ? raw : new FanoutError('WRITE_FAILED', String(raw), { folder: outDir });
      if (!stopsJob(err)) ctx.warn(`ebook ${entry.ebook}: failure not recorded in the manifest: ${err.message}`, err);
    }
  };

  const failEntry = (book: BookItem, err: FanoutError, extra: Partial<ManifestEntry> = {}): ManifestEntry => ({
    ...book, status: 'failed', sourceUrl: null, remoteName: null, encoding: null, rawFile: null, cleanFile: null,
    rawBytes: null, cleanBytes: null, rawSha256: null, cleanSha256: null, rawMtimeMs: null, cleanMtimeMs: null, startMarker: null, endMarker: null,
    warnings: [], downloadMs: null, scrubMs: null, ...extra,
    errorCode: err.code, error: err.message, finishedAt: new Date().toISOString(),
  });

  /** The selected books not already whole on disk (quick size + mtime check, a chunk of books at a time). */
  async function* pending(): AsyncGenerator<BookItem> {
    const scan = await scanning;
    for await (const chunk of inChunks(parts.selection.entries(control.signal), CHECK_AHEAD)) {
      const checks = await Promise.all(chunk.map((entry) => checkBook(entry.ebook, scan)));
      for (let i = 0; i < chunk.length; i++) {
        const { ebook } = chunk[i]!;
        const check = checks[i]!;
        // Noted in the selection's order (the checks end in any order).
        if (check.change !== null) notes.changed(ebook, check.change);
        if (check.unrecorded) notes.unrecorded(ebook);
        if (check.removedParts.length > 0) notes.staleParts(ebook, check.removedParts);
        if (check.done) {
          landed.forget(ebook);
          telemetry.addSkipped(1);
        } else yield toBookItem(chunk[i]!);
      }
    }
  }

  /** After a book's new ok line: the raw file its earlier line named, when another name replaced it (only one of the book's own names, inside raw/). */
  async function removeSupersededRaw(ebook: number, rawFile: string): Promise<void> {
    const before = supersededRaw.get(ebook);
    if (before === undefined) return;
    supersededRaw.delete(ebook);
    if (before !== rawFile && isCandidateRawFile(ebook, before)) await unlink(join(outDir, before)).catch(() => {});
  }

  /** Whether a selected book is done (its files as recorded), and what the re-run has to say about it. */
  async function checkBook(ebook: number, scan: RawFolderScan): Promise<{ done: boolean; change: string | null; unrecorded: boolean; removedParts: string[] }> {
    const recorded = manifest.take(ebook);
    const hadText = scan.takeHasText(ebook);
    const change = recorded ? await bookChange(outDir, recorded) : null;
    // Done: a partial download of it can never be resumed into anything.
    if (recorded && change === null) return { done: true, change, unrecorded: false, removedParts: await scan.removePartsOf(ebook) };
    if (recorded) supersededRaw.set(ebook, recorded.rawFile);
    // Not done: a whole raw file a stopped job left for it (and no line of its own) is adopted.
    await landed.consider(ebook, recorded !== undefined);
    // Else a text of it in raw/ that no line records is not proven whole: fetched again, and said.
    // (Not a book whose last line failed, or is damaged: its line is there; the damaged ones are said at the start.)
    const unrecorded = !recorded && hadText && !landed.has(ebook) && manifest.notDoneReason(ebook) === undefined;
    return { done: false, change, unrecorded, removedParts: [] };
  }

  // `adaptive` over HTTP: a single book handed out goes the batch's way too (see `process` below).
  const singlesAsBatch = spec.strategy === 'adaptive' && (mirror.protocol === 'http' || mirror.protocol === 'https');
  const autoStart = parts.knee?.start;
  const auto = spec.autoWorkers
    ? new AutoWorkersController({ max: spec.workers, limit: parts.connections.plan.serverLimit ?? undefined, sizeFirstStep: true, ...(autoStart ? { start: autoStart.start, startWhy: autoStart.why, fromKnee: true } : {}) })
    : null;
  try {
    const pool = await runPool<BookItem>({
      items: pending(),
      total: parts.total,
      workers: spec.workers,
      strategy: spec.strategy,
      signal: stop.signal,
      telemetry,
      units: (book) => (handed.has(book.ebook) ? 0 : 1),
      pause: control.pause,
      attempts: spec.attempts,
      label: bookLabel,
      context: (book) => ({ ebook: book.ebook, host: mirror.host }),
      // A mirror that refuses the login or cannot be reached stops the job at once (books stay pending).
      isJobFatal: (err, state) => serverUnreachable(err, state) || nothing.check(err, state) || wrongRoot.check(err, state),
      // --workers auto: `workers` is the most; each change of N is a job:workers event.
      auto: auto
        ? {
            controller: auto,
            onDecision: (decision) => control.onEvent({ kind: 'job:workers', jobId: ctx.jobId, decision }),
            rateCap: () => bandwidth.rate,
          }
        : undefined,
      onWarning: (message, err) => ctx.warn(message, err),
      onItemFailed: (book, err) => {
        deadline.settled(book.ebook, false);
        if (stopsJob(err)) return;
        ctx.reportFailure(bookLabel(book), err);
        void recordFailure(failEntry(book, err));
      },
      openWorker: async (wctx): Promise<WorkerSession<BookItem>> => {
        const session = mirror.openSession(wctx.workerId);
        setImmediate(() => parts.scrubPool.warm()); // after this turn: the first connect goes out first
        /** Hands a downloaded book to the scrubber; its manifest line is written when cleaning ends. */
        const submit = async (book: BookItem, fetched: FetchedBook | HeldBook, downloadMs: number, pctx: WorkerContext): Promise<void> => {
          const cleanPath = join(cleanDir, `${book.ebook}.txt`);
          // An HTTP text held whole comes as bytes: the scrub thread writes it (.part, fsync, rename)
          // beside the clean one, and hashes it (no raw-file call, no hash on this thread).
          const held = isHeldBook(fetched) ? fetched.heldRaw : null;
          // Waiting for room in the stage, the lane shows `waiting to clean` (cleaning is the bottleneck, not its connection).
          await stage.submit({
            ebook: book.ebook,
            rawPath: fetched.rawPath,
            cleanPath,
            ...(held ? { raw: held } : {}),
            finish: async (result, scrubMs) => {
              // The scrubber wrote the clean file (and a held raw one: fsynced, renamed); the folders'
              // fsyncs are shared with the books finishing at the same time (output/dir-sync-group.ts).
              let raw: { sha256: string; mtimeMs: number | undefined };
              if (isHeldBook(fetched)) {
                if (result.rawBuffer) giveHeldBuffer(result.rawBuffer);
                if (!result.raw) throw new FanoutError('INTERNAL', `the raw text of ebook ${book.ebook} was not written`, { ebook: book.ebook });
                await Promise.all([dirSyncs.sync(rawDir), dirSyncs.sync(cleanDir)]);
                rawParts.landed(basename(fetched.heldRaw.partPath));
                raw = result.raw;
              } else {
                await dirSyncs.sync(cleanDir);
                raw = { sha256: fetched.sha256, mtimeMs: fetched.mtimeMs };
              }
              const rawSha256 = raw.sha256;
              // Sizes and mtimes as written: what the next run's quick check compares.
              const rawMtimeMs = raw.mtimeMs ?? (await stat(fetched.rawPath)).mtimeMs;
              // The line is appended only now: both files are whole (the clean one fsynced).
              await manifest.append({
                ...book, status: 'ok', sourceUrl: fetched.url, remoteName: fetched.remoteName, encoding: result.encoding,
                rawFile: relative(outDir, fetched.rawPath), cleanFile: relative(outDir, cleanPath),
                rawBytes: fetched.bytes, cleanBytes: result.cleanBytes, rawSha256, cleanSha256: result.cleanSha256,
                rawMtimeMs: recordedMtime(rawMtimeMs), cleanMtimeMs: recordedMtime(result.cleanMtimeMs ?? (await stat(cleanPath)).mtimeMs),
                startMarker: result.startMarker, endMarker: result.endMarker, warnings: result.warnings,
                errorCode: null, error: null, downloadMs: Math.round(downloadMs), scrubMs: Math.round(scrubMs),
                finishedAt: new Date().toISOString(),
              });
              telemetry.addClean(result.cleanBytes);
              if (supersededRaw.size > 0) await removeSupersededRaw(book.ebook, relative(outDir, fetched.rawPath));
              // Done only now, on disk with its line (the pool counted it 0: `units`).
              telemetry.itemDone(pctx.workerId);
              written.books++;
              written.bytes += fetched.bytes + result.cleanBytes;
            },
            fail: async (err) => {
              // Stopped (a cancel, a full disk) before its line: not tried, no line, back to pending
              // (a cancel counted it failed, ABORTED, with a failed line); its raw file may be whole
              // on disk (a held one: if the scrub thread landed it), for the re-run to adopt.
              if (stopsJob(err) || (isAbortError(err) && stop.signal.aborted)) {
                landed.stopped({
                  ebook: book.ebook, rawFile: relative(outDir, fetched.rawPath), url: fetched.url, remoteName: fetched.remoteName,
                  bytes: fetched.bytes, sha256: isHeldBook(fetched) ? null : fetched.sha256, mtimeMs: isHeldBook(fetched) ? null : (fetched.mtimeMs ?? null),
                  encodingHint: fetched.encodingHint, fromZip: fetched.fromZip, downloadMs: Math.round(downloadMs),
                });
                return;
              }
              telemetry.itemFailed(pctx.workerId);
              ctx.reportFailure(bookLabel(book), err);
              await recordFailure(failEntry(book, err, { sourceUrl: fetched.url, remoteName: fetched.remoteName, downloadMs: Math.round(downloadMs) }));
            },
          }, () => telemetry.holdLane(pctx.workerId, 'waiting to clean', bookLabel(book)));
          handed.add(book.ebook);
        };
        /** An adoptable book (LandedRaws): its raw file hashed and handed to the scrubber; false when it is not the file recorded (fetched then). */
        const adopt = async (book: BookItem, pctx: WorkerContext): Promise<boolean> => {
          const raw = landed.take(book.ebook);
          if (!raw) return false;
          pctx.progress.setState('cleaning', bookLabel(book));
          const rawPath = join(outDir, raw.rawFile);
          const [digest, st] = await Promise.all([digestFile(rawPath).catch(() => null), stat(rawPath).catch(() => null)]);
          if (!digest || !st || digest.bytes !== raw.bytes || (raw.sha256 !== null && digest.sha256 !== raw.sha256)) return false;
          const fetched: FetchedBook = {
            ebook: book.ebook, url: raw.url, remoteName: raw.remoteName, rawPath, bytes: digest.bytes, sha256: digest.sha256,
            encodingHint: raw.encodingHint, fromZip: raw.fromZip, transferredBytes: 0, resumedFrom: 0, mtimeMs: st.mtimeMs,
          };
          await submit(book, fetched, raw.downloadMs, pctx);
          return true;
        };
        // `adaptive` batches: the books' requests are pipelined on this worker's one connection
        // (round trips per batch, not per book), and each book goes to the scrubber as it lands.
        // Not with a wait between requests (each book is then its own request, spaced), nor with a
        // per-item timeout (a deadline cannot cut one book out of a pipeline).
        const fetchBatch = spec.waitMs || spec.itemTimeoutMs ? undefined : async (all: BookItem[], bctx: WorkerContext): Promise<BatchOutcome> => {
          // Books adopted from raw/ are not requested; the rest go out as one batch.
          const adopted = new Set<number>();
          for (const book of all) if (landed.has(book.ebook) && (await adopt(book, bctx))) adopted.add(book.ebook);
          const books = adopted.size === 0 ? all : all.filter((b) => !adopted.has(b.ebook));
          if (books.length === 0) return all.map(() => null);
          if (!pacer.idle) await pacer.turn(stop.signal, bctx.progress);
          const byEbook = new Map(books.map((b) => [b.ebook, b] as const));
          const lane: WorkerContext = { ...bctx, progress: laneProgress(bctx.progress, pace, byEbook) };
          // A book's download time: since the previous book of the batch landed (they share the connection).
          let mark = performance.now();
          deadline.begin(books.map((b) => b.ebook));
          // Books handed to the scrubber: the pool counts them done, as the scrubber's end then corrects.
          const submitted = new Set<number>(adopted);
          let results: Array<FetchedBook | HeldBook | FanoutError>;
          try {
            const ebooks = books.map((b) => b.ebook);
            const errorsOf = (rs: Array<FetchedBook | HeldBook | FanoutError>) => rs.map((r) => (r instanceof FanoutError ? r : null));
            results = await wrongRoot.track(ebooks, bctx.signal, () => nothing.track(ebooks, bctx.signal, () => session.fetchBooks(
              ebooks,
              {
                rawDir,
                rawParts,
                ctx: lane,
                deferRawLanding: true,
                // A small batch lasts as long as its slowest book: a book without `N-0.txt` takes three
                // round trips (404, index, file) where the others take one; asking for each index at once
                // makes it two (at N = 16 most batches are a few books; docs/BENCHMARKS.md, session 16).
                speculateIndex: books.length <= SPECULATE_UP_TO,
                onFetched: async (fetched) => {
                  const now = performance.now();
                  const downloadMs = now - mark;
                  mark = now;
                  deadline.settled(fetched.ebook, true);
                  submitted.add(fetched.ebook);
                  await submit(byEbook.get(fetched.ebook)!, fetched, downloadMs, bctx);
                },
              },
            ), errorsOf, bctx.progress), errorsOf, session);
          } catch (err) {
            // Stopped mid-batch (a cancel, a full disk): the books already handed to the scrubber are
            // counted as the others of the job are (done, then not done if stopped there); a batch
            // that threw counted none, so a cancelled job's summary said fewer done than its manifest.
            if (!stop.signal.aborted || submitted.size === 0) throw err;
            const stopped = err instanceof FanoutError ? err : toFanoutError(err);
            return all.map((b) => (submitted.has(b.ebook) ? null : stopped));
          }
          for (const r of results) heedRetryAfter(r);
          const outcome = new Map(books.map((b, i) => [b.ebook, results[i] instanceof FanoutError ? results[i] : null] as const));
          return all.map((b) => outcome.get(b.ebook) ?? null);
        };
        return {
          close: () => session.close(),
          process: async (book, pctx) => {
            // `adaptive` over HTTP hands out single books too (the first ones, before the queue fills, and the
            // last ones): they go the batch's way (held texts landed on the scrub thread, the index asked for at once).
            if (fetchBatch && singlesAsBatch) {
              const [err] = await fetchBatch([book], pctx);
              if (err) throw err;
              return;
            }
            if (landed.has(book.ebook) && (await adopt(book, pctx))) return;
            await pacer.turn(stop.signal, pctx.progress);
            const started = performance.now();
            const fetched = await wrongRoot
              .track([book.ebook], pctx.signal, () => nothing.track([book.ebook], pctx.signal, () => deadline.attempt(book.ebook, pctx, { ebook: book.ebook, host: mirror.host }, (actx) => session.fetchBook(book.ebook, { rawDir, rawParts, ctx: { ...actx, progress: laneProgress(actx.progress, pace) } })), undefined, pctx.progress), undefined, session)
              .catch((err: unknown) => {
                heedRetryAfter(err);
                throw err;
              });
            deadline.settled(book.ebook, true);
            pctx.progress.setState('cleaning', bookLabel(book));
            await submit(book, fetched, performance.now() - started, pctx);
          },
          processBatch: fetchBatch,
        };
      },
    });
    // A refusal is kept for the next job to this server (and said); a learned limit gone past is forgotten.
    const learned = await parts.connections.afterPool(pool);
    if (learned) ctx.warn(learned);
  } catch (err) {
    if (nothing.stopped(err)) throw nothing.stopError(err, spec.mirror);
    if (wrongRoot.stopped(err)) throw wrongRoot.stopError(err, spec.mirror);
    throw err instanceof FanoutError && serverUnreachable(err, { connected: false }) ? stoppedJobError(err, spec.mirror) : err;
  } finally {
    await stage.drain();
    // What a stopped job landed without a line, for the next run (nothing to keep: no file).
    await landed.save();
    // Kept whether the job succeeded or failed, if it measured a window (the controller says).
    await parts.knee?.afterJob(auto?.knee ?? null);
  }
  for (const note of notes.messages(MANIFEST_FILE)) ctx.warn(note);
  const badRowNote = badRows.describe();
  if (badRowNote) ctx.warn(`catalog: ${badRowNote}`);
  const repeatNote = parts.selection.repeats.describe();
  if (repeatNote) ctx.warn(`catalog: ${repeatNote}`);
  if (stop.error) throw await withSpaceEstimate(stop.error, outDir, parts.total - telemetry.frame().itemsSkipped - written.books, written);
  return { scrubStage: stage.stats() };
}

/** DISK_FULL says about how much more space the books left need (the average book of this run times their number). */
async function withSpaceEstimate(err: FanoutError, outDir: string, booksLeft: number, written: { books: number; bytes: number }): Promise<FanoutError> {
  if (err.code !== 'DISK_FULL') return err;
  const perBook = written.books > 0 ? written.bytes / written.books : null;
  const need = perBook === null ? null : Math.round(perBook * Math.max(0, booksLeft));
  const message = `${err.message}. ${booksLeft} book(s) left: ${spaceNeededText(need, await freeBytes(outDir))}`;
  return new FanoutError('DISK_FULL', message, err.context, { cause: err.cause });
}

/**
 * A lane's progress as the mirror sees it: bytes paced by the job's bandwidth cap; in a batch, the
 * mirror labels the lane with the ebook number and the lane shows the book's label (number and title) instead.
 */
function laneProgress(progress: WorkerProgress, pace: (bytes: number) => Promise<void> | null, books?: Map<number, BookItem>): WorkerProgress {
  return {
    setState: (state, item) => {
      const book = books && typeof item === 'string' && /^\d+$/.test(item) ? books.get(Number(item)) : undefined;
      progress.setState(state, book ? bookLabel(book) : item);
    },
    setItemTotal: (total) => progress.setItemTotal(total),
    addBytes: (n) => progress.addBytes(n),
    resetItemBytes: () => progress.resetItemBytes(),
    countRetry: () => progress.countRetry(),
    pace,
  };
}

async function mirrorTrust(spec: GutenbergJobSpec): Promise<OpenMirrorOptions['tls']> {
  const t = spec.mirrorTls;
  let ca: string | undefined;
  if (t.caFile) {
    try {
      ca = await readFile(t.caFile, 'utf8');
    } catch (err) {
      throw new FanoutError('BAD_INPUT', `cannot read the CA file ${t.caFile}: ${(err as Error).message}`, { file: t.caFile });
    }
  }
  return { rejectUnauthorized: !t.allowUntrustedCert, ...(ca ? { ca } : {}), ...(t.ftpsImplicit !== undefined ? { implicit: t.ftpsImplicit } : {}) };
}

/** Books whose completion is checked at once on a re-run (stat calls in flight, not bytes). */
const CHECK_AHEAD = 64;

async function* inChunks(entries: AsyncIterable<CatalogEntry>, size: number): AsyncGenerator<CatalogEntry[]> {
  let chunk: CatalogEntry[] = [];
  for await (const entry of entries) {
    chunk.push(entry);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Books a scrub thread holds at once: it reads and cleans the next while earlier clean files' fsyncs
 * run (a few ms each, tens under load; one at a time, two threads cleaned fewer books per second
 * than 16 connections fetched: docs/BENCHMARKS.md, "Session 6: HTTP at N = 16").
 */
const SCRUB_BOOKS_PER_THREAD = 4;

/**
 * HTTP batches of at most this many books send each book's index request right behind its
 * `N-0.txt` (FetchBookOptions.speculateIndex): one small response more per book that has the file,
 * one round trip less for a batch holding a book that has not. Larger batches keep their depth for
 * books (a miss's index joins the pipeline's queue: mirror README, "Round trips").
 */
const SPECULATE_UP_TO = 2;
