import { describe, expect, it } from 'vitest';
import { runPool, type WorkerSession } from '../../../electron/engine/core/run-pool';
import { AutoWorkersController } from '../../../electron/engine/core/auto-workers';
import { JobTelemetry } from '../../../electron/engine/core/job-telemetry';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import type { AutoWorkersDecision } from '../../../shared/events';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A server that accepts `limit` connections and refuses the next at once (vsftpd's max_per_ip:
 * 421 at the banner). Sessions connect lazily, on their first item, as the FTP session does. The
 * first accepted session's first item ends in 5 ms, the others' in `slowFirstMs`: on a loaded
 * machine one session is served well before the others.
 */
function lazyLimitedSessions(limit: number, slowFirstMs: number, refuseAfterMs = 0) {
  let connections = 0;
  let peak = 0;
  let accepted = 0;
  const openWorker = async (): Promise<WorkerSession<number>> => {
    let connected = false;
    let order = -1;
    let firstDone = false;
    return {
      async process() {
        if (!connected) {
          if (connections >= limit && refuseAfterMs > 0) await wait(refuseAfterMs);
          if (connections >= limit) throw new FanoutError('TOO_MANY_CONNECTIONS', '421 too many connections');
          connections++;
          peak = Math.max(peak, connections);
          connected = true;
          order = accepted++;
        }
        await wait(!firstDone && order > 0 ? slowFirstMs : 5);
        firstDone = true;
      },
      async close() {
        if (connected) connections--;
      },
    };
  };
  return { openWorker, peak: () => peak };
}

describe('run pool: a refusal read as a limit', () => {
  // Refused before anyone was served (it waits for a session served), or after (it gives up at once).
  it.each([0, 30])('waits until the other sessions showed whether they hold a connection: limited to 3, one served first, read as 3 (not 1); refused after %i ms', async (refuseAfterMs) => {
    const s = lazyLimitedSessions(3, 150, refuseAfterMs);
    const decisions: AutoWorkersDecision[] = [];
    // Long windows: no step of the controller's own in this test, only the refusal's reading.
    const controller = new AutoWorkersController({ start: 4, max: 32, minWindowMs: 60_000 });
    const telemetry = new JobTelemetry({ workers: 32 });
    const result = await runPool<number>({
      items: Array.from({ length: 200 }, (_, i) => i),
      workers: 32,
      strategy: 'queue',
      signal: new AbortController().signal,
      telemetry,
      attempts: 3,
      baseDelayMs: 1,
      label: String,
      openWorker: s.openWorker,
      auto: { controller, onDecision: (d) => decisions.push(d), tickMs: 10 },
    });
    expect(result.cancelled).toBe(false);
    expect(telemetry.itemsDone).toBe(200);
    const readings = decisions.filter((d) => /refused/.test(d.why)).map((d) => d.workers);
    expect(readings).toEqual([3]);
    expect(controller.limit).toBe(3);
    expect(s.peak()).toBe(3);
  });
});

/**
 * A server limited to `limit` that releases a closed connection `releaseMs` later (pure-ftpd counts
 * its session processes, which end after the client closed). Each session's second item (others were served
 * by then) drops its connection and opens a new one at once, as the FTP session does when replies go out of step.
 */
function reconnectingSessions(limit: number, releaseMs: number) {
  let counted = 0;
  const connect = () => {
    if (counted >= limit) throw new FanoutError('TOO_MANY_CONNECTIONS', '421 Too many connections (3) from this IP');
    counted++;
  };
  const release = () => setTimeout(() => counted--, releaseMs);
  const openWorker = async (): Promise<WorkerSession<number>> => {
    let connected = false;
    let redone = false;
    let items = 0;
    return {
      async process(_item, ctx) {
        if (!connected) {
          connect();
          connected = true;
          ctx.progress.setState('downloading', String(_item));
        }
        await wait(5);
        if (!redone && ++items === 2) {
          // Out of step: this connection is dropped, the item goes again on a new one.
          redone = true;
          connected = false;
          release();
          connect();
          connected = true;
        }
        ctx.progress.addBytes(100);
      },
      async close() {
        if (connected) release();
      },
    };
  };
  return { openWorker };
}

describe('run pool: a session refused when it connects again', () => {
  it('is not surplus: the server still counted its dropped connection; it knocks again after a backoff, and no worker retires', async () => {
    const s = reconnectingSessions(3, 20);
    const telemetry = new JobTelemetry({ workers: 3 });
    const result = await runPool<number>({
      items: Array.from({ length: 30 }, (_, i) => i),
      workers: 3,
      strategy: 'queue',
      signal: new AbortController().signal,
      telemetry,
      attempts: 3,
      baseDelayMs: 40,
      label: String,
      openWorker: s.openWorker,
    });
    expect(telemetry.itemsDone).toBe(30);
    expect(result.retired).toBe(0);
    expect(result.refused).toBeNull();
  });
});

/**
 * A server limited to 3 whose sessions log in slowly (60 ms: the set-up step is taken). The third
 * session accepted says `downloading` only after its first bytes (an FTP data connection may deliver
 * before the control connection's 150 reply), and its first item takes `slowMs`, longer than the
 * reading's wait: at the reading it has logged in, moved bytes and proven nothing yet.
 */
function lateReadySessions(slowMs: number) {
  let connections = 0;
  let accepted = 0;
  const openWorker = async (): Promise<WorkerSession<number>> => {
    let order = -1;
    let items = 0;
    return {
      async process(item, ctx) {
        if (order < 0) {
          if (connections >= 3) throw new FanoutError('TOO_MANY_CONNECTIONS', '421 too many connections');
          connections++;
          order = accepted++;
          await wait(60);
          if (order === 2) {
            ctx.progress.addBytes(100);
            ctx.progress.setState('downloading', String(item));
          } else {
            ctx.progress.setState('downloading', String(item));
            ctx.progress.addBytes(100);
          }
        } else ctx.progress.addBytes(100);
        await wait(order === 2 && items === 0 ? slowMs : 20);
        items++;
      },
      async close() {
        if (order >= 0) connections--;
      },
    };
  };
  return { openWorker };
}

describe('run pool: a refusal read after the set-up step', () => {
  it('counts a session that moved bytes before it said it was at work as logged in: limited to 3, read as 3 (not 2)', async () => {
    const s = lateReadySessions(1_400);
    const decisions: AutoWorkersDecision[] = [];
    const controller = new AutoWorkersController({ start: 4, max: 32, minWindowMs: 60_000, sizeFirstStep: true });
    const telemetry = new JobTelemetry({ workers: 32 });
    const result = await runPool<number>({
      // Enough for the job to outlast the reading's wait (1 s): two sessions at 20 ms an item.
      items: Array.from({ length: 200 }, (_, i) => i),
      workers: 32, strategy: 'queue', signal: new AbortController().signal, telemetry, attempts: 3, baseDelayMs: 1, label: String,
      openWorker: s.openWorker,
      auto: { controller, onDecision: (d) => decisions.push(d), tickMs: 10 },
    });
    expect(result.cancelled).toBe(false);
    expect(telemetry.itemsDone).toBe(200);
    expect(decisions.find((d) => d.action === 'add')?.why, JSON.stringify(decisions)).toMatch(/sessions (took|have taken) \d+ ms each/);
    expect(decisions.filter((d) => /refused/.test(d.why)).map((d) => d.workers), JSON.stringify(decisions)).toEqual([3]);
  });
});
