import { availableParallelism } from 'node:os';
import { mkdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { JobSummary } from '../../../shared/events';
import type { GutenbergJobSpec } from '../../../shared/job-spec';
import { readCatalog, selectBooks, type BadCatalogRow } from '../catalog';
import { FanoutError } from '../core/fanout-error';
import type { JobControl } from '../core/job-control';
import { runJob, type JobBodyContext } from '../core/run-job';
import { runPool, type BatchOutcome, type WorkerSession } from '../core/run-pool';
import type { WorkerContext, WorkerProgress } from '../core/worker-context';
import { openMirror, type FetchedBook, type Mirror, type OpenMirrorOptions } from '../mirror';
import { writeFileAtomic } from '../output/atomic-file';
import { createScrubPool } from '../scrub/scrub-pool';
import { isBookComplete } from './book-completion';
import { bookLabel, toBookItem, type BookItem } from './book-item';
import type { ManifestEntry } from './manifest-entry';
import { ManifestStore } from './manifest-store';
import { ScrubStage } from './scrub-stage';

/** Bad catalog rows reported one by one; past this, only counted. */
const MAX_BAD_ROW_WARNINGS = 50;

/**
 * Downloads the selected books from a mirror with N workers under a strategy, cleans them in the
 * scrubber pool, and writes `<out>/raw/`, `<out>/clean/<N>.txt` and `<out>/manifest.jsonl`.
 * A re-run skips books whose files still match the manifest and resumes partial downloads.
 */
export async function runGutenbergJob(spec: GutenbergJobSpec, control: JobControl): Promise<JobSummary> {
  const outDir = resolve(spec.outDir);
  const rawDir = join(outDir, 'raw');
  const cleanDir = join(outDir, 'clean');
  await mkdir(rawDir, { recursive: true });
  await mkdir(cleanDir, { recursive: true });

  const total = await countSelected(spec, control.signal);
  const manifest = await ManifestStore.open(outDir);
  const mirror = openMirror(spec.mirror, { timeoutMs: spec.timeoutMs, tls: await mirrorTrust(spec) });
  // Cleaning is CPU work and downloading mostly waits on the network: one scrub thread per core.
  const scrubWorkers = spec.scrubWorkers ?? Math.min(4, Math.max(1, availableParallelism()));
  const scrubPool = createScrubPool({ executor: spec.scrubExecutor, size: scrubWorkers, maxQueue: scrubWorkers * 2 });

  try {
    return await runJob(
      { kind: 'gutenberg', strategy: spec.strategy, workers: spec.workers, outDir, itemsTotal: total, control },
      (ctx) => downloadAll(spec, control, ctx, { outDir, rawDir, cleanDir, manifest, mirror, scrubPool, scrubWorkers, total }),
    );
  } finally {
    await Promise.allSettled([scrubPool.close(), mirror.close()]);
    await manifest.close();
  }
}

interface JobParts {
  outDir: string;
  rawDir: string;
  cleanDir: string;
  manifest: ManifestStore;
  mirror: Mirror;
  scrubPool: ReturnType<typeof createScrubPool>;
  scrubWorkers: number;
  total: number;
}

async function downloadAll(spec: GutenbergJobSpec, control: JobControl, ctx: JobBodyContext, parts: JobParts): Promise<void> {
  const { outDir, rawDir, cleanDir, manifest, mirror } = parts;
  const { telemetry } = ctx;
  // Room for every download worker to hand over a book and go on (cleaning must not stall
  // downloads); still bounded, so memory is a few books per worker, whatever the corpus size.
  const stage = new ScrubStage(parts.scrubPool, { maxInFlight: Math.max(parts.scrubWorkers * 2, spec.workers * 2), signal: control.signal });
  let badRows = 0;

  const failEntry = (book: BookItem, err: FanoutError, extra: Partial<ManifestEntry> = {}): ManifestEntry => ({
    ...book, status: 'failed', sourceUrl: null, remoteName: null, encoding: null, rawFile: null, cleanFile: null,
    rawBytes: null, cleanBytes: null, rawSha256: null, cleanSha256: null, startMarker: null, endMarker: null,
    warnings: [], downloadMs: null, scrubMs: null, ...extra,
    errorCode: err.code, error: err.message, finishedAt: new Date().toISOString(),
  });

  async function* pending(): AsyncGenerator<BookItem> {
    const entries = readCatalog(spec.catalog, { signal: control.signal, onBadRow: (bad) => reportBadRow(bad) });
    for await (const entry of selectBooks(entries, spec.selection)) {
      if (await isBookComplete(outDir, manifest.get(entry.ebook))) {
        telemetry.addSkipped(1);
        continue;
      }
      yield toBookItem(entry);
    }
  }

  function reportBadRow(bad: BadCatalogRow): void {
    badRows++;
    if (badRows <= MAX_BAD_ROW_WARNINGS) ctx.warn(`catalog line ${bad.line} skipped: ${bad.reason}`);
    else if (badRows === MAX_BAD_ROW_WARNINGS + 1) ctx.warn('more bad catalog rows skipped (see the summary count)');
  }

  try {
    await runPool<BookItem>({
      items: pending(),
      total: parts.total,
      workers: spec.workers,
      strategy: spec.strategy,
      signal: control.signal,
      telemetry,
      pause: control.pause,
      attempts: spec.attempts,
      label: bookLabel,
      context: (book) => ({ ebook: book.ebook, host: mirror.host }),
      onWarning: (message, err) => ctx.warn(message, err),
      onItemFailed: (book, err) => {
        ctx.reportFailure(bookLabel(book), err);
        void manifest.append(failEntry(book, err));
      },
      openWorker: async (wctx): Promise<WorkerSession<BookItem>> => {
        const session = mirror.openSession(wctx.workerId);
        /** Hands a downloaded book to the scrubber; its manifest line is written when cleaning ends. */
        const submit = async (book: BookItem, fetched: FetchedBook, downloadMs: number, pctx: WorkerContext): Promise<void> => {
          const rawSha256 = fetched.sha256;
          await stage.submit({
            ebook: book.ebook,
            rawPath: fetched.rawPath,
            finish: async (result, scrubMs) => {
              const cleanPath = join(cleanDir, `${book.ebook}.txt`);
              await writeFileAtomic(cleanPath, result.clean);
              telemetry.addClean(result.cleanBytes);
              await manifest.append({
                ...book, status: 'ok', sourceUrl: fetched.url, remoteName: fetched.remoteName, encoding: result.encoding,
                rawFile: relative(outDir, fetched.rawPath), cleanFile: relative(outDir, cleanPath),
                rawBytes: fetched.bytes, cleanBytes: result.cleanBytes, rawSha256, cleanSha256: result.cleanSha256,
                startMarker: result.startMarker, endMarker: result.endMarker, warnings: result.warnings,
                errorCode: null, error: null, downloadMs: Math.round(downloadMs), scrubMs: Math.round(scrubMs),
                finishedAt: new Date().toISOString(),
              });
            },
            fail: async (err) => {
              telemetry.reclassifyAsFailed(pctx.workerId);
              ctx.reportFailure(bookLabel(book), err);
              await manifest.append(failEntry(book, err, { sourceUrl: fetched.url, remoteName: fetched.remoteName, downloadMs: Math.round(downloadMs) }));
            },
          });
        };
        return {
          close: () => session.close(),
          process: async (book, pctx) => {
            const started = performance.now();
            const fetched = await session.fetchBook(book.ebook, { rawDir, ctx: pctx });
            pctx.progress.setState('cleaning', bookLabel(book));
            await submit(book, fetched, performance.now() - started, pctx);
          },
          // `adaptive` batches: the books' requests are pipelined on this worker's one connection
          // (round trips per batch, not per book), and each book goes to the scrubber as it lands.
          processBatch: async (books, bctx): Promise<BatchOutcome> => {
            const byEbook = new Map(books.map((b) => [b.ebook, b] as const));
            const lane: WorkerContext = { ...bctx, progress: withBookLabels(bctx.progress, byEbook) };
            // A book's download time: since the previous book of the batch landed (they share the connection).
            let mark = performance.now();
            const results = await session.fetchBooks(
              books.map((b) => b.ebook),
              {
                rawDir,
                ctx: lane,
                onFetched: async (fetched) => {
                  const now = performance.now();
                  const downloadMs = now - mark;
                  mark = now;
                  await submit(byEbook.get(fetched.ebook)!, fetched, downloadMs, bctx);
                },
              },
            );
            return results.map((r) => (r instanceof FanoutError ? r : null));
          },
        };
      },
    });
  } finally {
    await stage.drain();
  }
  if (badRows > 0) ctx.warn(`${badRows} bad catalog row(s) skipped`);
}

/** The mirror labels a lane with the ebook number; the lane shows the book's label (number and title) instead. */
function withBookLabels(progress: WorkerProgress, books: Map<number, BookItem>): WorkerProgress {
  return {
    setState: (state, item) => {
      const book = typeof item === 'string' && /^\d+$/.test(item) ? books.get(Number(item)) : undefined;
      progress.setState(state, book ? bookLabel(book) : item);
    },
    setItemTotal: (total) => progress.setItemTotal(total),
    addBytes: (n) => progress.addBytes(n),
    resetItemBytes: () => progress.resetItemBytes(),
    countRetry: () => progress.countRetry(),
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

/** Counts the selected books in a first streaming pass (under a second even for the full catalog), for ETA and batching. */
async function countSelected(spec: GutenbergJobSpec, signal: AbortSignal): Promise<number> {
  let n = 0;
  for await (const _ of selectBooks(readCatalog(spec.catalog, { signal }), spec.selection)) n++;
  return n;
}
