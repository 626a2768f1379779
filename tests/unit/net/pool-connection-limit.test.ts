import { describe, expect, it } from 'vitest';
import { runPool, type WorkerSession } from '../../../electron/engine/core/run-pool';
import { JobTelemetry } from '../../../electron/engine/core/job-telemetry';
import { FanoutError } from '../../../electron/engine/core/fanout-error';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A server that takes `limit` connections. Sessions connect lazily, at their first item (as the
 * FTP and HTTP sessions do), so a refusal comes from `process`, not from opening the session.
 */
function limitedServer(limit: number, firstItemMs: number) {
  let connected = 0;
  let peak = 0;
  let attempts = 0;
  let refusals = 0;
  const openWorker = async (): Promise<WorkerSession<number>> => {
    let mine = false;
    return {
      async process() {
        if (!mine) {
          attempts++;
          if (connected >= limit) {
            refusals++;
            throw new FanoutError('TOO_MANY_CONNECTIONS', '421 Too many connections from your internet address', { host: '127.0.0.1' });
          }
          connected++;
          peak = Math.max(peak, connected);
          mine = true;
          await tick(firstItemMs); // the first book is slow: the refusals all come before anyone is served
        }
        await tick(1);
      },
      async close() {
        if (mine) connected--;
      },
    };
  };
  return { openWorker, stats: () => ({ attempts, refusals, peak }) };
}

describe('runPool under a server connection limit (fixed N)', () => {
  it('a refused worker retires once another is served, without knocking again; its items are done by the others', async () => {
    const server = limitedServer(3, 60);
    const telemetry = new JobTelemetry({ workers: 8 });
    const failed: number[] = [];
    const done: number[] = [];
    const result = await runPool<number>({
      items: Array.from({ length: 40 }, (_, i) => i),
      workers: 8,
      strategy: 'queue',
      signal: new AbortController().signal,
      telemetry,
      attempts: 5,
      baseDelayMs: 1,
      label: (i) => `item ${i}`,
      openWorker: async () => {
        const s = await server.openWorker();
        return { ...s, process: async (i, ctx) => {
          await s.process(i, ctx);
          done.push(i);
        } };
      },
      onItemFailed: (i) => failed.push(i),
    });
    expect(failed).toEqual([]);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // Each surplus worker was refused once: with a 1 ms backoff it used to knock up to 4 more times
    // before the first item was served.
    expect(server.stats()).toEqual({ attempts: 8, refusals: 5, peak: 3 });
    expect(result.retired).toBe(5);
    expect(result.peakWorking).toBe(3);
    expect(result.refused).toMatchObject({ accepted: 3, error: { code: 'TOO_MANY_CONNECTIONS' } });
  });

  it('reports no refusal when the server took every connection', async () => {
    const server = limitedServer(8, 5);
    const result = await runPool<number>({
      items: Array.from({ length: 20 }, (_, i) => i),
      workers: 4,
      strategy: 'queue',
      signal: new AbortController().signal,
      telemetry: new JobTelemetry({ workers: 4 }),
      attempts: 3,
      label: (i) => `item ${i}`,
      openWorker: server.openWorker,
    });
    expect(result.refused).toBeNull();
    expect(result.peakWorking).toBe(4);
  });

  it('when every worker is refused (the server still full of an earlier job\'s sessions), none waits for another to be served: they back off and try again', async () => {
    // Refuses everything for the first 3 attempts, then takes up to 8: nobody can be served while all are refused.
    let attempts = 0;
    const openWorker = async (): Promise<WorkerSession<number>> => {
      let mine = false;
      return {
        async process() {
          if (!mine) {
            attempts++;
            if (attempts <= 3) throw new FanoutError('TOO_MANY_CONNECTIONS', '421 Too many connections', { host: '127.0.0.1' });
            mine = true;
          }
          await tick(1);
        },
        async close() {},
      };
    };
    const done: number[] = [];
    const result = await runPool<number>({
      items: Array.from({ length: 12 }, (_, i) => i),
      workers: 3,
      strategy: 'queue',
      signal: new AbortController().signal,
      telemetry: new JobTelemetry({ workers: 3 }),
      attempts: 5,
      baseDelayMs: 1,
      // Far above this test's own timeout: only waking up when all are refused lets it finish.
      refusalWaitMs: 60_000,
      label: (i) => `item ${i}`,
      openWorker: async () => {
        const s = await openWorker();
        return { ...s, process: async (i, ctx) => {
          await s.process(i, ctx);
          done.push(i);
        } };
      },
    });
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(result.retired).toBe(0);
  }, 5_000);
});
