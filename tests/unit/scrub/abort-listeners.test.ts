import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createScrubPool } from '../../../electron/engine/scrub/scrub-pool';
import type { ScrubInput } from '../../../electron/engine/scrub/scrub-protocol';

const para = 'It was the best of times, it was the worst of times, it was the age of wisdom.\r\n';
const text = `*** START OF THE PROJECT GUTENBERG EBOOK X ***\r\n\r\n${para.repeat(2000)}\r\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\r\n`;

// Found in CI's output: 'MaxListenersExceededWarning: Possible EventTarget memory leak detected. 11 abort
// listeners added to [AbortSignal]' (abort-running-files.test.ts: 40 books on one signal). Each book
// parked by backpressure, each detached file task and each task handed to the executor added its own
// listener to the caller's signal, so a caller with many books on one signal (the scrub lab, a job's
// stop signal) piled one per book onto it. The pool listens once per signal, whatever it holds.
describe.each([
  { executor: 'threads' as const, files: true },
  { executor: 'threads' as const, files: false },
  { executor: 'processes' as const, files: false },
])('one abort listener per signal ($executor, files: $files)', ({ executor, files }) => {
  const books = 24;

  function inputs(dir: string, tag: string): ScrubInput[] {
    return Array.from({ length: books }, (_, i) =>
      files ? { rawPath: join(dir, `${i}.txt`), cleanPath: join(dir, `clean-${tag}-${i}.txt`) } : new TextEncoder().encode(text),
    );
  }

  it('however many books wait on it, and none once they have settled; an abort still reaches every one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrub-listeners-'));
    const pool = createScrubPool({ executor, size: 2, maxQueue: 4, ...(executor === 'threads' ? { concurrentPerWorker: 2 } : {}) });
    try {
      if (files) for (let i = 0; i < books; i++) writeFileSync(join(dir, `${i}.txt`), text);
      const job = new AbortController();
      const counts: number[] = [];
      const count = () => counts.push(getEventListeners(job.signal, 'abort').length);
      const done = inputs(dir, 'a').map((input) => pool.scrub(input, { signal: job.signal }).then(count));
      count(); // every book handed over or parked
      await Promise.all(done);
      expect(Math.max(...counts)).toBe(1);
      expect(getEventListeners(job.signal, 'abort')).toHaveLength(0);

      const stop = new AbortController();
      const outcomes = inputs(dir, 'b').map((input) =>
        pool.scrub(input, { signal: stop.signal }).then(
          () => 'done',
          (err: { code?: string }) => err.code,
        ),
      );
      expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
      stop.abort();
      const settled = await Promise.all(outcomes);
      // Aborted in the tick they were handed over: every one given up on, running, queued or parked.
      expect(settled).toEqual(Array.from({ length: books }, () => 'ABORTED'));
      expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
