/**
 * The live rate of a job under a low --limit-rate: the cap lets bytes through in bursts (a 64 KiB
 * socket read, then a wait for the bucket to repay it: ~2 s apart at 32 KiB/s), and a rate measured
 * over a 1 s window read 0 B/s between the bursts while the job was moving at its cap. A user
 * watching the job should see about the capped rate, and 0 only once bytes stop.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent, TelemetryFrame } from '../../../shared/events';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { generateMirror, startHttpServer, type HttpServer } from '../../harness';

const CAP = 32 * 1024;
let dir = '';
let http: HttpServer;
let catalog = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-capped-rate-'));
  // ~10 s at the cap: several bursts.
  const mirror = await generateMirror(join(dir, 'mirror'), [{ ebook: 21, files: ['-0.txt'], sizeBytes: 330_000 }]);
  http = await startHttpServer({ root: mirror.root });
  catalog = join(dir, 'cat.csv');
  await writeFile(catalog, 'Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves\n21,Text,2000-01-01,"Slow",en,"A",F,PR,X\n');
}, 120_000);

afterAll(async () => {
  await http?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the live rate under a low --limit-rate', () => {
  it('reads about the cap between the bursts the cap lets through, not 0 B/s', async () => {
    const frames: TelemetryFrame[] = [];
    const control = createJobControl((e: JobEvent) => {
      if (e.kind === 'job:frame') frames.push(e.frame);
    });
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: http.url, outDir: join(dir, 'out'), workers: 1, strategy: 'queue', limitRate: CAP });
    const summary = await runGutenbergJob(spec, control);
    expect(summary.status).toBe('succeeded');
    // The times the byte count rose (a burst seen by a frame).
    const rises: number[] = [];
    for (let i = 1; i < frames.length; i++) if (frames[i]!.bytesDone > frames[i - 1]!.bytesDone) rises.push(frames[i]!.t);
    // The cap spread the bytes over seconds: the first burst, the bucket's debt repaid, the next ones.
    expect(rises.length, 'bursts seen').toBeGreaterThanOrEqual(2);
    expect(rises[rises.length - 1]! - rises[0]!).toBeGreaterThan(3000);
    // From a window after the first burst to the last one, bytes are moving at the cap.
    const moving = frames.filter((f) => f.t >= rises[0]! + 1000 && f.t <= rises[rises.length - 1]!);
    const zeros = moving.filter((f) => f.bytesPerSec === 0).map((f) => Math.round(f.t));
    expect(zeros, 'frames reading 0 B/s while the job moved at its cap').toEqual([]);
    const rates = moving.map((f) => f.bytesPerSec).sort((a, b) => a - b);
    const median = rates[Math.floor(rates.length / 2)]!;
    expect(median / CAP).toBeGreaterThan(0.5);
    expect(median / CAP).toBeLessThan(2);
  }, 120_000);
});
