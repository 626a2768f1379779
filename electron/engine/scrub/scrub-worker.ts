/**
 * Worker-thread entry point (piscina). Built as its own entry next to the pool module; see
 * worker-script.ts for how it is found.
 */
import { performance } from 'node:perf_hooks';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { scrubBook } from './scrub-book';
import type { ScrubTask, WorkerReply } from './scrub-protocol';

/**
 * Scrubs one book; the cleaned bytes' buffer is transferred back, not copied. The input was
 * transferred to this thread, so it is ours: it is cleaned in place and `clean` is a view into it.
 */
export default function scrubTask(task: ScrubTask): unknown {
  const t0 = performance.now();
  const result = scrubBook(task.bytes, { consumeInput: true });
  const reply: WorkerReply = { result, runMs: performance.now() - t0 };
  // A custom Transferable: piscina sends `reply` with `clean`'s buffer in the transfer list.
  const transferable = { [transferableSymbol]: [result.clean.buffer], [valueSymbol]: reply };
  return move(transferable as unknown as Parameters<typeof move>[0]);
}
