/**
 * Worker-thread entry point (piscina). Built as its own entry next to the pool module; see
 * worker-script.ts for how it is found.
 */
import { performance } from 'node:perf_hooks';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { scrubBook } from './scrub-book';
import { scrubFileTask } from './scrub-file';
import type { ScrubTask, WorkerReply } from './scrub-protocol';

/**
 * Scrubs one book. Bytes: the cleaned bytes' buffer is transferred back, not copied (the input was
 * transferred to this thread, so it is ours: cleaned in place, `clean` a view into it). Files: read
 * and written here (scrub-file.ts), nothing book-sized goes back.
 */
export default function scrubTask(task: ScrubTask): unknown {
  if ('file' in task) {
    const raw = task.file.raw;
    if (!raw?.lent) return scrubFileTask(task.file);
    // A lent raw buffer goes back with the result, moved (the main thread keeps it for the next book).
    const lent = raw.bytes.buffer as ArrayBuffer;
    return scrubFileTask(task.file).then((reply) => {
      if (!('result' in reply)) return reply; // a failed book's buffer is dropped
      const back: WorkerReply = { ...reply, result: { ...reply.result, rawBuffer: lent } };
      return move({ [transferableSymbol]: [lent], [valueSymbol]: back } as unknown as Parameters<typeof move>[0]);
    });
  }
  const t0 = performance.now();
  const result = scrubBook(task.bytes, { consumeInput: true });
  const reply: WorkerReply = { result, runMs: performance.now() - t0 };
  // A custom Transferable: piscina sends `reply` with `clean`'s buffer in the transfer list.
  const transferable = { [transferableSymbol]: [result.clean.buffer], [valueSymbol]: reply };
  return move(transferable as unknown as Parameters<typeof move>[0]);
}
