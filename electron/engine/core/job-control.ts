import type { JobEvent } from '../../../shared/events';
import { Bandwidth } from '../net/bandwidth';
import type { RememberedFtpHosts } from '../mirror/ftp-host-state';
import type { RememberedHostLimits } from '../net/host-limits';
import type { ItemTiming } from './item-deadline';
import { PauseGate } from './pause-gate';

/** What a host (CLI, Electron main, web host) hands a job: cancel, pause, and where events go. */
export interface JobControl {
  signal: AbortSignal;
  pause: PauseGate;
  onEvent(event: JobEvent): void;
  /** Optional job id chosen by the host; a random one otherwise. */
  jobId?: string;
  /**
   * The job's bandwidth cap, when the host wants to change it while the job runs (the job sets it
   * from its spec at start; absent: the job makes its own).
   */
  bandwidth?: Bandwidth;
  /** Called as each item lands or fails for good, with its time from its first attempt (the stragglers lab's latencies). */
  onItemTimed?: (timing: ItemTiming) => void;
  /**
   * What jobs learnt about servers (FTP lock-step, connection limits), kept by the host across jobs
   * (jobs/host-memory.ts; absent: this job learns alone).
   */
  hosts?: RememberedFtpHosts & RememberedHostLimits;
}

/** A JobControl with its own AbortController, for hosts that do not need to share one. */
export function createJobControl(onEvent: (event: JobEvent) => void = () => {}, jobId?: string): JobControl & { abort(reason?: unknown): void } {
  const controller = new AbortController();
  return {
    signal: controller.signal,
    pause: new PauseGate(),
    onEvent,
    ...(jobId ? { jobId } : {}),
    bandwidth: new Bandwidth(),
    abort: (reason?: unknown) => controller.abort(reason),
  };
}
