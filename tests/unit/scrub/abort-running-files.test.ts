import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createScrubPool } from '../../../electron/engine/scrub/scrub-pool';

const para = 'It was the best of times, it was the worst of times, it was the age of wisdom.\r\n';
const book = `*** START OF THE PROJECT GUTENBERG EBOOK X ***\r\n\r\n${para.repeat(2000)}\r\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\r\n`;

describe('aborting file tasks while a thread runs several (a job stopping on DISK_FULL)', () => {
  it('the replies of tasks already given up on never surface as an uncaught error', async () => {
    // Found by a clean-clone run: piscina removes the thread of an aborted running task, a reply that
    // thread had already sent finds no task, and piscina emits 'error' on the pool: with no listener,
    // an uncaught exception (a crashed CLI, desktop app or web host).
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    const dir = mkdtempSync(join(tmpdir(), 'scrub-abort-'));
    const pool = createScrubPool({ executor: 'threads', size: 1, maxQueue: 8, concurrentPerWorker: 4 });
    try {
      for (let i = 0; i < 40; i++) writeFileSync(join(dir, `${i}.txt`), book);
      let settled = 0;
      for (let round = 0; round < 30; round++) {
        const stop = new AbortController();
        const tasks = Array.from({ length: 40 }, (_, i) =>
          pool.scrub({ rawPath: join(dir, `${i}.txt`), cleanPath: join(dir, `clean-${round}-${i}.txt`) }, { signal: stop.signal }).then(
            () => {
              // The first book done: stop the rest a moment later, from another event (as a job's fatal
              // error does, after its own I/O), while the thread is finishing and replying for others.
              setTimeout(() => stop.abort(), 1);
              return 'done';
            },
            (err: { code?: string }) => err.code,
          ),
        );
        const outcomes = await Promise.all(tasks);
        settled += outcomes.length;
        expect(outcomes.every((o) => o === 'done' || o === 'ABORTED' || o === 'SCRUB_FAILED')).toBe(true);
        expect(outcomes).toContain('ABORTED');
      }
      expect(settled).toBe(1200);
    } finally {
      await pool.close(); // the threads ended: any reply still in flight has been delivered
      rmSync(dir, { recursive: true, force: true });
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});
