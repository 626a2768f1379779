// Test entry (scrub-threads-emfile.test.ts): a scrub pool whose threads all fail to start because
// this process has no file descriptor left (EMFILE), with books queued behind them; then, files
// freed, one more book. Prints one JSON line: how each book ended. Exit 13 (Node: nothing left to
// wake the process while the top-level await waits) means a book's promise never settled.
import { closeSync, openSync } from 'node:fs';
import { outOfResources } from '../../../electron/engine/core/fanout-error';
import { retryOnResourceLimit } from '../../../electron/engine/core/resource-retry';
import { createScrubPool } from '../../../electron/engine/scrub/scrub-pool';
import { siblingScript } from '../../../electron/engine/scrub/worker-script';

const text = () => new TextEncoder().encode('*** START OF THE PROJECT GUTENBERG EBOOK X ***\nHello.\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n');
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: unknown) => (outOfResources(err) ? 'OUT_OF_RESOURCES' : `other: ${(err as Error).message}`),
  );

// From the sources, the thread's TypeScript loader is found by a module resolution that reads
// package.json files: done once now (cached), as the built app needs none.
siblingScript('scrub-worker');
// Every descriptor taken (the limit is low: prlimit), before the pool starts its threads.
const fds: number[] = [];
try {
  for (let i = 0; i < 100_000; i++) fds.push(openSync('/dev/null', 'r'));
} catch {
  // EMFILE: the limit is reached
}
const pool = createScrubPool({ executor: 'threads', size: 2, maxQueue: 4 });
// 2 books for the threads, 4 queued behind them.
const first = await Promise.all(Array.from({ length: 6 }, () => outcome(pool.scrub(text()))));
for (const fd of fds.splice(0)) closeSync(fd);
// Threads the pool started while no descriptor was free may still fail this book as they die (at
// most one each): tried again as the scrub stage does (gutenberg/scrub-stage.ts), pauses of 0 ms.
const after = await outcome(retryOnResourceLimit(() => pool.scrub(text()), { delaysMs: [0, 0, 0] }));
await pool.close();
process.stdout.write(`${JSON.stringify({ first, after })}\n`);
