import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { ItemFailure, JobKind, JobSummary, TelemetryFrame } from '../../../shared/events';
import type { Strategy } from '../../../shared/strategy';
import { FanoutError, toFanoutError } from './fanout-error';
import type { JobControl } from './job-control';
import { JobTelemetry } from './job-telemetry';

/** Failures kept in the summary; the manifest/index holds them all. */
const MAX_SUMMARY_FAILURES = 1000;

export interface JobBodyContext {
  jobId: string;
  telemetry: JobTelemetry;
  /** Records a failed item: counted in the summary and sent as a `job:item-failed` event. */
  reportFailure(item: string, err: FanoutError): void;
  warn(message: string, err?: FanoutError): void;
}

/** What a job body may add to its summary (filled in even when the body throws, through `extras`). */
export type SummaryExtras = Pick<JobSummary, 'mailFolders' | 'scrubStage' | 'mirror'>;

export interface RunJobOptions {
  /** Summary fields the body fills in as it goes (kept when it throws). */
  extras?: SummaryExtras;
  kind: JobKind;
  strategy: Strategy;
  workers: number;
  outDir: string;
  itemsTotal?: number | null;
  control: JobControl;
  /** Frame period, ms (about 10 per second by default). */
  frameIntervalMs?: number;
}

/**
 * The lifecycle every job shares: `job:started`, a telemetry frame on a clock, `job:item-failed`
 * per failure, and `job:finished` with the summary. The body does the job's own work.
 */
export async function runJob(opts: RunJobOptions, body: (ctx: JobBodyContext) => Promise<void | SummaryExtras>): Promise<JobSummary> {
  const jobId = opts.control.jobId ?? randomUUID();
  // Every worker, queue wait, transfer and scrub task listens on the job's signal at once: that is
  // expected concurrency, not a leak, so lift Node's default warning threshold of 10.
  setMaxListeners(Math.max(64, opts.workers * 8), opts.control.signal);
  const startedAt = new Date().toISOString();
  const telemetry = new JobTelemetry({ workers: opts.strategy === 'serial' ? 1 : opts.workers, itemsTotal: opts.itemsTotal ?? null });
  const failures: ItemFailure[] = [];
  const emit = opts.control.onEvent;
  const unsubscribePause = opts.control.pause.onChange((paused) => {
    telemetry.paused = paused;
  });
  emit({ kind: 'job:started', jobId, jobKind: opts.kind, strategy: opts.strategy, workers: telemetry.workerCount, itemsTotal: telemetry.itemsTotal, outDir: opts.outDir });
  // The bandwidth cap in force rides on each frame (the live view draws it on the throughput chart).
  const withCap = (frame: TelemetryFrame): TelemetryFrame => ({ ...frame, rateCap: opts.control.bandwidth?.rate ?? null });
  telemetry.start((frame) => emit({ kind: 'job:frame', jobId, frame: withCap(frame) }), opts.frameIntervalMs ?? 100);

  const ctx: JobBodyContext = {
    jobId,
    telemetry,
    reportFailure(item, err) {
      const failure = { item, error: err.toJSON() };
      if (failures.length < MAX_SUMMARY_FAILURES) failures.push(failure);
      emit({ kind: 'job:item-failed', jobId, failure });
    },
    warn(message, err) {
      emit({ kind: 'job:warning', jobId, message, ...(err ? { error: err.toJSON() } : {}) });
    },
  };

  let fatal: FanoutError | null = null;
  let extras: SummaryExtras = opts.extras ?? {};
  try {
    extras = { ...extras, ...(await body(ctx)) };
  } catch (raw) {
    fatal = toFanoutError(raw);
  } finally {
    telemetry.stop();
    unsubscribePause();
  }
  const last = telemetry.frame();
  emit({ kind: 'job:frame', jobId, frame: withCap(last) });
  const cancelled = opts.control.signal.aborted;
  if (fatal && !cancelled) {
    failures.push({ item: '(job)', error: fatal.toJSON() });
  }
  // Success means every item of a known total was done, failed or skipped: a shortfall is a bug
  // (e.g. a pool whose workers all left with items still queued), never a quiet success.
  const accounted = last.itemsDone + last.itemsFailed + last.itemsSkipped;
  if (!cancelled && !fatal && telemetry.itemsTotal !== null && accounted < telemetry.itemsTotal) {
    const gap = telemetry.itemsTotal - accounted;
    failures.push({ item: '(job)', error: new FanoutError('INTERNAL', `${gap} of ${telemetry.itemsTotal} items were neither done, failed nor skipped: the job did not finish them`, {}).toJSON() });
  }
  const wallMs = last.t;
  const summary: JobSummary = {
    jobId,
    kind: opts.kind,
    strategy: opts.strategy,
    workers: telemetry.workerCount,
    status: cancelled ? 'cancelled' : failures.length > 0 || last.itemsFailed > 0 ? 'failed' : 'succeeded',
    itemsTotal: telemetry.itemsTotal ?? last.itemsDone + last.itemsFailed + last.itemsSkipped,
    itemsDone: last.itemsDone,
    itemsFailed: last.itemsFailed,
    itemsSkipped: last.itemsSkipped,
    bytes: last.bytesDone,
    wallMs,
    throughput: wallMs > 0 ? (last.bytesDone / wallMs) * 1000 : 0,
    workerBusy: telemetry.busyShares(),
    failures,
    outDir: opts.outDir,
    startedAt,
    ...extras,
  };
  emit({ kind: 'job:finished', jobId, summary });
  return summary;
}
