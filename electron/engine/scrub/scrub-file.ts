import { performance } from 'node:perf_hooks';
import { writeFileAtomicOnThread } from '../output/atomic-file';
import { readBook, takeBuffer, type KeptBuffer, type ReadBook } from './read-buffers';
import { scrubBook } from './scrub-book';
import type { ScrubFileTask, WorkerReply } from './scrub-protocol';

/**
 * Runs a `ScrubFileTask` where the scrubber runs (a worker thread or child): reads the raw text,
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
  try {
    // Read into one of the thread's kept buffers (read-buffers.ts: no mmap'd buffer per book), for
    // this task alone until it is released: ours to clean in place.
    raw = readBook(task.rawPath);
    const output = (size: number) => {
      const kept = takeBuffer(size);
      taken.push(kept);
      return kept.buffer;
    };
    const result = scrubBook(raw.bytes, { consumeInput: true, output });
    // The thread's busy time (read + clean); the write below mostly waits (its fsync).
    const runMs = performance.now() - t0;
    const mtimeMs = await writeFileAtomicOnThread(task.cleanPath, result.clean, release);
    return { result: { ...result, clean: new Uint8Array(0), cleanMtimeMs: mtimeMs }, runMs };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return { fsError: { code, message: (err as Error).message }, runMs: performance.now() - t0 };
    throw err;
  } finally {
    // The clean text (a view into them) is written or dropped: the buffers may take the next book.
    release();
  }
}
