import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { writeFileAtomicOnThread, writePartOnThread } from '../output/atomic-file';
import { readBook, takeBuffer, type KeptBuffer, type ReadBook } from './read-buffers';
import { scrubBook } from './scrub-book';
import type { ScrubFileTask, WorkerReply } from './scrub-protocol';

/**
 * Runs a `ScrubFileTask` where the scrubber runs (a worker thread or child): reads the raw text (or,
 * given its bytes, writes it: see `ScrubFileTask.raw`),
 * cleans it in place, writes the clean text atomically and durably (`writeFileAtomicOnThread`: unique temp,
 * fsync, rename; the folder's fsync is left to the caller, shared between books) and reads its
 * mtime on the open descriptor. Done here, the job's main thread reads no book, receives no clean
 * buffer (no book-sized external memory there: fewer mark-compacts) and makes no fs call for the
 * clean file; the read and the fstat are synchronous (the raw file was just written: page cache).
 * A thread may hold several of these (`concurrentPerWorker`): it cleans the next book while this
 * one's fsync runs. For that the pool does not hand piscina the job's AbortSignal (piscina runs an
 * abortable task alone on its thread); a task once started ends by itself (scrub-pool.ts `dispatch`).
 */
export async function scrubFileTask(task: ScrubFileTask): Promise<WorkerReply> {
  const t0 = performance.now();
  let raw: ReadBook | null = null;
  /** A windows-1252 book's UTF-8 form: also in a kept buffer (no fresh mmap'd buffer per book). */
  const taken: KeptBuffer[] = [];
  const release = () => {
    raw?.release();
    for (const k of taken) k.release();
  };
  let rawPart: ReturnType<typeof writePartOnThread> | null = null;
  try {
    let bytes: Uint8Array;
    let rawFacts: { sha256: string; mtimeMs: number } | undefined;
    if (task.raw) {
      // The raw text came with the task (held in memory by the download): written to its `.part`
      // here, its fsync running while the book is cleaned; hashed before the cleaning rewrites the
      // bytes in place (they are this task's: moved, or copied by the message).
      bytes = task.raw.bytes;
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      rawPart = writePartOnThread(task.raw.partPath, bytes);
      rawFacts = { sha256, mtimeMs: rawPart.mtimeMs };
    } else {
      // Read into one of the thread's kept buffers (read-buffers.ts: no mmap'd buffer per book), for
      // this task alone until it is released: ours to clean in place.
      raw = readBook(task.rawPath);
      bytes = raw.bytes;
    }
    const output = (size: number) => {
      const kept = takeBuffer(size);
      taken.push(kept);
      return kept.buffer;
    };
    const result = scrubBook(bytes, { consumeInput: true, output });
    // The thread's busy time (read + clean); the writes below mostly wait (their fsyncs).
    const runMs = performance.now() - t0;
    const mtimeMs = await writeFileAtomicOnThread(task.cleanPath, result.clean, release);
    if (rawPart) {
      const part = rawPart;
      rawPart = null;
      await part.land(task.rawPath);
    }
    return { result: { ...result, clean: new Uint8Array(0), cleanMtimeMs: mtimeMs, ...(rawFacts ? { raw: rawFacts } : {}) }, runMs };
  } catch (err) {
    // A raw text not landed is removed with its `.part` (the book is fetched again by a later run).
    await rawPart?.abort();
    const { code, path, dest } = err as NodeJS.ErrnoException & { dest?: unknown };
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      const named = { ...(typeof path === 'string' ? { path } : {}), ...(typeof dest === 'string' ? { dest } : {}) };
      return { fsError: { code, message: (err as Error).message, ...named }, runMs: performance.now() - t0 };
    }
    throw err;
  } finally {
    // The clean text (a view into them) is written or dropped: the buffers may take the next book.
    release();
  }
}
