/**
 * Runs jobs for a host (Electron main or the web host). Electron-free. It starts jobs from
 * validated specs, keeps their pause/cancel handles, batches telemetry to ≤ ~10 frames/s per job,
 * records frames for replay, and writes each finished run to the history store.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { SerializedError } from '../../../shared/errors';
import type { JobEvent, JobSummary, TelemetryFrame } from '../../../shared/events';
import { MAX_RECORDING_PAGE_FRAMES, type ActiveJob, type HistoryEntry, type RunRecordingPage } from '../../../shared/ipc';
import type { GutenbergJobSpec, JobSpec, MailJobSpec } from '../../../shared/job-spec';
import { FanoutError, toFanoutError } from '../core/fanout-error';
import type { JobControl } from '../core/job-control';
import { PauseGate } from '../core/pause-gate';
import { Bandwidth } from '../net/bandwidth';
import { removeStaleTempFiles } from '../output/atomic-file';
import { FrameBatcher } from './frame-batcher';
import { FrameRecorder } from './frame-recorder';
import { HostMemory } from './host-memory';
import { HistoryStore } from './history-store';

/** A temp file older than this in the data folder is a leftover, not a save in progress. */
const STALE_TEMP_MS = 10 * 60_000;

export type JobRunner<S> = (spec: S, control: JobControl) => Promise<JobSummary>;

export interface JobRunners {
  gutenberg: JobRunner<GutenbergJobSpec>;
  /** Absent until the mail engine is available. */
  mail?: JobRunner<MailJobSpec>;
}

export interface JobManagerOptions {
  dataDir: string;
  runners: JobRunners;
  /** Minimum time between two frames sent for one job, ms. */
  frameIntervalMs?: number;
}

interface RunningJob {
  jobId: string;
  spec: JobSpec;
  controller: AbortController;
  gate: PauseGate;
  /** The job's bandwidth cap (set from its spec at start, changed by setRate). */
  bandwidth: Bandwidth;
  startedAt: string;
  lastFrame: TelemetryFrame | null;
  batcher: FrameBatcher;
  recorder: FrameRecorder;
  done: Promise<JobSummary>;
}

export type JobListener = (event: JobEvent) => void;

export class JobManager {
  readonly history: HistoryStore;
  readonly #jobs = new Map<string, RunningJob>();
  /** Recently finished jobs' summaries, so `wait` works after the end too (bounded). */
  readonly #finished = new Map<string, JobSummary>();
  readonly #listeners = new Set<JobListener>();
  /** What jobs learnt about servers (lock-step, connection limits), kept across jobs (see host-memory.ts). */
  readonly #hosts: HostMemory;

  constructor(private readonly opts: JobManagerOptions) {
    this.history = new HistoryStore(opts.dataDir);
    this.#hosts = new HostMemory(opts.dataDir);
    // Temp files of a save cut short by a crash (settings, history, recordings). Only old ones: a
    // second host process may share this data folder and be saving right now.
    for (const dir of [opts.dataDir, join(opts.dataDir, 'runs')]) void removeStaleTempFiles(dir, { olderThanMs: STALE_TEMP_MS }).catch(() => {});
  }

  /** Subscribes to every job's events (frames already batched); returns an unsubscribe function. */
  on(listener: JobListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: JobEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // A broken listener (a closed socket) must not stop the job.
      }
    }
  }

  get mailAvailable(): boolean {
    return this.opts.runners.mail !== undefined;
  }

  /** Starts a job from a validated spec; resolves with its id as soon as it is started. */
  start(spec: JobSpec): { jobId: string; done: Promise<JobSummary> } {
    const jobId = `${spec.kind}-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomUUID().slice(0, 8)}`;
    const controller = new AbortController();
    const gate = new PauseGate();
    const recorder = new FrameRecorder();
    const job: RunningJob = {
      jobId, spec, controller, gate, recorder, bandwidth: new Bandwidth(),
      startedAt: new Date().toISOString(),
      lastFrame: null,
      batcher: new FrameBatcher((frame) => {
        job.lastFrame = frame;
        recorder.add(frame);
        this.#emit({ kind: 'job:frame', jobId, frame });
      }, this.opts.frameIntervalMs ?? 100),
      done: Promise.resolve(null as unknown as JobSummary),
    };
    const control: JobControl = {
      jobId,
      signal: controller.signal,
      pause: gate,
      bandwidth: job.bandwidth,
      hosts: this.#hosts,
      onEvent: (event) => this.#onEngineEvent(job, event),
    };
    this.#jobs.set(jobId, job);
    job.done = this.#run(job, control);
    return { jobId, done: job.done };
  }

  async #run(job: RunningJob, control: JobControl): Promise<JobSummary> {
    let summary: JobSummary;
    try {
      const spec = job.spec;
      if (spec.kind === 'gutenberg') summary = await this.opts.runners.gutenberg(spec, control);
      else if (this.opts.runners.mail) summary = await this.opts.runners.mail(spec, control);
      else throw new FanoutError('NOT_AVAILABLE', 'Mail archiving is not available in this build');
      summary = { ...summary, jobId: job.jobId };
    } catch (raw) {
      const err = toFanoutError(raw);
      summary = failedSummary(job, err.toJSON(), job.controller.signal.aborted);
      this.#emit({ kind: 'job:warning', jobId: job.jobId, message: err.message, error: err.toJSON() });
    }
    job.batcher.flush();
    job.batcher.dispose();
    try {
      // A history.json that could not be read was set aside (never overwritten): the job says where.
      const { notices } = await this.history.add(summary, { jobId: job.jobId, framesJson: () => job.recorder.framesJson(), summary });
      for (const message of notices) this.#emit({ kind: 'job:warning', jobId: job.jobId, message });
    } catch (raw) {
      this.#emit({ kind: 'job:warning', jobId: job.jobId, message: `History not saved: ${toFanoutError(raw).message}` });
    }
    this.#jobs.delete(job.jobId);
    this.#finished.set(job.jobId, summary);
    if (this.#finished.size > 50) this.#finished.delete(this.#finished.keys().next().value!);
    this.#emit({ kind: 'job:finished', jobId: job.jobId, summary });
    return summary;
  }

  #onEngineEvent(job: RunningJob, event: JobEvent): void {
    // The manager's id is authoritative: hosts and history key on it.
    switch (event.kind) {
      case 'job:frame':
        job.batcher.push(event.frame);
        return;
      case 'job:finished':
        // Emitted by #run once history is written, so "finished" means "in history" too.
        return;
      case 'job:started':
      case 'job:item-failed':
      case 'job:warning':
      case 'job:workers':
        job.batcher.flush();
        this.#emit({ ...event, jobId: job.jobId });
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  #get(jobId: string): RunningJob {
    const job = this.#jobs.get(jobId);
    if (!job) throw new FanoutError('NO_SUCH_JOB', `No running job with id "${jobId}"`);
    return job;
  }

  pause(jobId: string): void {
    this.#get(jobId).gate.pause();
  }

  resume(jobId: string): void {
    this.#get(jobId).gate.resume();
  }

  /** A running Gutenberg job's bandwidth cap, bytes per second (null: none); mail jobs have none. */
  setRate(jobId: string, bytesPerSecond: number | null): void {
    const job = this.#get(jobId);
    if (job.spec.kind !== 'gutenberg') throw new FanoutError('NOT_AVAILABLE', 'Only Gutenberg jobs have a bandwidth cap', {});
    job.bandwidth.setRate(bytesPerSecond);
  }

  cancel(jobId: string): void {
    const job = this.#get(jobId);
    job.gate.resume(); // parked workers must wake up to see the abort
    job.controller.abort(new FanoutError('ABORTED', 'Cancelled by the user'));
  }

  /** Waits for a job to end (tests, shutdown). */
  wait(jobId: string): Promise<JobSummary> {
    const finished = this.#finished.get(jobId);
    return finished ? Promise.resolve(finished) : this.#get(jobId).done;
  }

  active(): ActiveJob[] {
    return [...this.#jobs.values()].map((j) => ({
      jobId: j.jobId,
      kind: j.spec.kind,
      paused: j.gate.paused,
      startedAt: j.startedAt,
      lastFrame: j.lastFrame,
      // For a page that did not start the job (reloaded, a second tab): its cap control and header.
      strategy: j.spec.strategy,
      workers: j.spec.kind === 'gutenberg' ? j.spec.workers : j.spec.connections,
      outDir: j.spec.outDir,
    }));
  }

  /**
   * Frames [from, from + count) of a running job's recording so far (the frames its pages got, as
   * the history will keep them), or null when no such job runs: for a page that takes it up mid-way.
   */
  recordingPage(jobId: string, from = 0, count = MAX_RECORDING_PAGE_FRAMES): RunRecordingPage | null {
    const j = this.#jobs.get(jobId);
    if (!j) return null;
    const frames: TelemetryFrame[] = [];
    let i = 0;
    for (const json of j.recorder.frameJson()) {
      if (frames.length >= count) break;
      if (i++ >= from) frames.push(JSON.parse(json) as TelemetryFrame);
    }
    return { jobId, frames, summary: null, from, totalFrames: j.recorder.frameCount };
  }

  listHistory(): Promise<HistoryEntry[]> {
    return this.history.list();
  }

  /** Cancels every job and waits for them to end (host shutdown). */
  async shutdown(): Promise<void> {
    const all = [...this.#jobs.values()];
    for (const j of all) this.cancel(j.jobId);
    await Promise.allSettled(all.map((j) => j.done));
  }
}

function failedSummary(job: RunningJob, error: SerializedError, cancelled: boolean): JobSummary {
  const f = job.lastFrame;
  const spec = job.spec;
  const workers = spec.kind === 'gutenberg' ? spec.workers : spec.connections;
  const wallMs = Date.now() - Date.parse(job.startedAt);
  return {
    jobId: job.jobId,
    kind: spec.kind,
    strategy: spec.strategy,
    workers,
    status: cancelled ? 'cancelled' : 'failed',
    itemsTotal: f?.itemsTotal ?? 0,
    itemsDone: f?.itemsDone ?? 0,
    itemsFailed: f?.itemsFailed ?? 0,
    itemsSkipped: f?.itemsSkipped ?? 0,
    bytes: f?.bytesDone ?? 0,
    wallMs,
    throughput: wallMs > 0 ? ((f?.bytesDone ?? 0) * 1000) / wallMs : 0,
    workerBusy: [],
    failures: [{ item: '(job)', error }],
    outDir: spec.outDir,
    startedAt: job.startedAt,
  };
}
