import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../../../shared/job-spec';
import type { JobEvent, TelemetryFrame } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { delay, makeSelfSignedCert, startFtpServer, startHttpServer, startTcpProxy } from '../../harness';
import { BOOKS, startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

let fx: GutenbergFixture;
const present = BOOKS.filter((b) => b.files.length > 0);
const presentIds = present.map((b) => b.ebook).join(',');

beforeAll(async () => {
  fx = await startGutenbergFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

function spec(input: Omit<GutenbergJobInput, 'kind' | 'catalog'>) {
  return GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, selection: {}, ...input });
}
const ids = (text: string) => text.split(',').map((n) => ({ from: Number(n), to: Number(n) }));
const frames = (events: JobEvent[]): TelemetryFrame[] => events.flatMap((e) => (e.kind === 'job:frame' ? [e.frame] : []));

describe('gutenberg job resilience', () => {
  it('refuses an untrusted https certificate with a clear error, and trusts it through --ca-file', async () => {
    const { writeFile } = await import('node:fs/promises');
    const cert = await makeSelfSignedCert({ host: '127.0.0.1' });
    const https = await startHttpServer({ root: fx.mirror.root, tls: cert });
    try {
      const base = { mirror: https.url, selection: { ids: ids('5,1002') }, workers: 2, outDir: join(fx.dir, 'https'), attempts: 3 };
      const refused = await runGutenbergJob(spec(base), createJobControl());
      // Job-fatal (fail fast): one job-level failure, no book tried one by one or recorded as failed.
      expect(refused.itemsFailed).toBe(0);
      expect(refused.failures).toHaveLength(1);
      expect(refused.failures[0]!.item).toBe('(job)');
      expect(refused.failures[0]!.error).toMatchObject({ code: 'TLS_FAILED', retryable: false, context: { host: '127.0.0.1' } });
      expect(refused.failures[0]!.error.message).toMatch(/certificate/);
      const caFile = join(fx.dir, 'ca.pem');
      await writeFile(caFile, cert.cert);
      const trusted = await runGutenbergJob(spec({ ...base, mirrorTls: { caFile } }), createJobControl());
      expect(trusted.status).toBe('succeeded');
      expect(trusted.itemsDone).toBe(2);
    } finally {
      await https.stop();
    }
  });

  it('reports bad catalog rows in one warning (count, first lines) and goes on', async () => {
    const { writeFile } = await import('node:fs/promises');
    const catalog = join(fx.dir, 'bad-rows.csv');
    await writeFile(catalog, [
      'Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves',
      '2000,Text,2000-01-01,Filler 0,en,A,,,',
      'not-a-number,Text,2000-01-01,Broken,en,A,,,',
      '2001,Text,2000-01-01,Filler 1,en,A,,,',
      '2002,Text,2000-01-01,"Filler 2",en,A,,,,,,,',
      '2003,Text,2000-01-01,Filler 3,en,A,,,',
      '',
    ].join('\n'));
    const events: JobEvent[] = [];
    const summary = await runGutenbergJob(
      GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: fx.http.url, outDir: join(fx.dir, 'bad-rows'), workers: 2 }),
      createJobControl((e) => events.push(e)),
    );
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(3);
    const warnings = events.flatMap((e) => (e.kind === 'job:warning' ? [e.message] : []));
    expect(warnings.filter((w) => w.startsWith('catalog:'))).toEqual(['catalog: 2 bad rows skipped (line 3: Text# "not-a-number" is not an ebook number; line 5: expected 9 columns, found 13)']);
  });

  it('resumes books whose transfer was cut mid-way (FTP data connections dropped)', async () => {
    const proxy = await startTcpProxy({ targetPort: fx.ftp.port, ftp: true, dropAfterBytes: 9_000, dropTimes: 4, dropOn: 'data' });
    try {
      const summary = await runGutenbergJob(
        spec({ mirror: `ftp://127.0.0.1:${proxy.port}`, selection: { ids: ids('2005,2006,2007,2008,2009') }, workers: 2, strategy: 'queue', outDir: join(fx.dir, 'drop-ftp'), attempts: 5, timeoutMs: 5000 }),
        createJobControl(),
      );
      expect(proxy.stats.dropped).toBe(4);
      expect(summary.status).toBe('succeeded');
      expect(summary.itemsDone).toBe(5);
      const manifest = (await readFile(join(fx.dir, 'drop-ftp', 'manifest.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      for (const entry of manifest) {
        const generated = fx.mirror.books.get(entry.ebook)!;
        expect(entry.rawSha256).toBe(generated.files[0]!.textSha256);
      }
    } finally {
      await proxy.stop();
    }
  });

  it('resumes HTTP bodies cut mid-way with Range', async () => {
    const proxy = await startTcpProxy({ targetPort: fx.http.port, dropAfterBytes: 12_000, dropTimes: 3, dropOn: 'any' });
    try {
      const events: JobEvent[] = [];
      const summary = await runGutenbergJob(
        spec({ mirror: `http://127.0.0.1:${proxy.port}`, selection: { ids: ids('2006,2007,2008,2009') }, workers: 2, strategy: 'adaptive', outDir: join(fx.dir, 'drop-http'), attempts: 5, timeoutMs: 5000 }),
        createJobControl((e) => events.push(e)),
      );
      expect(summary.status).toBe('succeeded');
      expect(proxy.stats.dropped).toBe(3);
      expect(frames(events).at(-1)!.workers.reduce((n, w) => n + w.retries, 0)).toBeGreaterThanOrEqual(1);
    } finally {
      await proxy.stop();
    }
  });

  it('shrinks the pool when the FTP server refuses connections past its per-IP limit (421)', async () => {
    const limited = await startFtpServer({ root: fx.mirror.root, maxPerIp: 2 });
    // 25 ms each way keeps the two admitted workers busy (15 books, a few round trips each) for
    // far longer than the refused ones take to back off and retry.
    const proxy = await startTcpProxy({ targetPort: limited.port, delayMs: 25, ftp: true });
    try {
      const events: JobEvent[] = [];
      const summary = await runGutenbergJob(
        spec({ mirror: `ftp://127.0.0.1:${proxy.port}`, selection: { ids: ids(presentIds) }, workers: 5, strategy: 'queue', outDir: join(fx.dir, 'limited'), attempts: 4 }),
        createJobControl((e) => events.push(e)),
      );
      expect(summary.status).toBe('succeeded');
      expect(summary.itemsDone).toBe(present.length);
      expect(frames(events).at(-1)!.activeWorkers).toBeLessThanOrEqual(2);
      expect(events.some((e) => e.kind === 'job:warning' && /retired/.test(e.message))).toBe(true);
    } finally {
      await proxy.stop();
      await limited.stop();
    }
  });

  it('pauses between items, resumes, and a cancelled run is finished by a re-run', async () => {
    // 30 ms each way makes every book take a few round trips (frames come every 100 ms), so
    // there is time to see the pause and to cancel before the end, even on a loaded machine.
    const proxy = await startTcpProxy({ targetPort: fx.http.port, delayMs: 30 });
    const outDir = join(fx.dir, 'pause-cancel');
    try {
      const events: JobEvent[] = [];
      const control = createJobControl((e) => events.push(e));
      const job = runGutenbergJob(spec({ mirror: `http://127.0.0.1:${proxy.port}`, selection: { ids: ids(presentIds) }, workers: 1, strategy: 'serial', outDir }), control);
      for (let i = 0; i < 1000 && (frames(events).at(-1)?.itemsDone ?? 0) < 2; i++) await delay(10);
      control.pause.pause();
      // The book in flight finishes, then the worker parks.
      for (let i = 0; i < 1000 && frames(events).at(-1)!.workers[0]!.state !== 'paused'; i++) await delay(10);
      const parked = frames(events).at(-1)!;
      // A book is counted done when its manifest line is written: one downloaded before the pause
      // may still be in the scrubber. Wait until the count has not moved for 300 ms.
      let atPause = parked.itemsDone;
      for (let i = 0, quietSince = Date.now(); i < 1000 && Date.now() - quietSince < 300; i++) {
        await delay(10);
        const now = frames(events).at(-1)!.itemsDone;
        if (now !== atPause) [atPause, quietSince] = [now, Date.now()];
      }
      await delay(300);
      const stillPaused = frames(events).at(-1)!;
      expect(stillPaused.paused).toBe(true);
      // Nothing downloaded while paused, nothing more recorded.
      expect(stillPaused.bytesDone).toBe(parked.bytesDone);
      expect(stillPaused.itemsDone).toBe(atPause);
      expect(stillPaused.workers[0]!.state).toBe('paused');
      control.pause.resume();
      // Wait for a book cleaned and recorded after the pause: one only downloaded may still be in
      // the scrubber when the cancel comes, and is then rightly not counted done.
      for (let i = 0; i < 1000 && frames(events).at(-1)!.itemsCleaned <= atPause; i++) await delay(10);
      control.abort();
      const summary = await job;
      expect(summary.status).toBe('cancelled');
      expect(summary.itemsDone).toBeGreaterThan(atPause);
      expect(summary.itemsDone).toBeLessThan(present.length);
      expect((await readdir(join(outDir, 'clean'))).filter((f) => f.includes('.tmp'))).toEqual([]);

      const rerun = await runGutenbergJob(spec({ mirror: fx.http.url, selection: { ids: ids(presentIds) }, workers: 3, strategy: 'queue', outDir }), createJobControl());
      expect(rerun.status).toBe('succeeded');
      expect(rerun.itemsSkipped).toBe(summary.itemsDone);
      expect(rerun.itemsDone + rerun.itemsSkipped).toBe(present.length);
    } finally {
      await proxy.stop();
    }
  });
});
