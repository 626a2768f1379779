import type { AutoWorkersDecision } from '../../../shared/events';
import type { FirstByteTimes } from './first-byte-times';
import type { SharedQueueSource } from './item-sources';
import type { JobTelemetry } from './job-telemetry';
import type { PauseGate } from './pause-gate';
import type { RunPoolOptions } from './run-pool-options';

/**
 * `--workers auto`'s clock in the pool (run-pool.ts): every `tickMs` (50) it feeds the controller the
 * job's counters and hands back each decision. A pause measures nothing about N (the window starts
 * again after it); the tail (fewer items queued than workers) says nothing about N either (workers
 * idle for want of work), so the clock stops there.
 */
export function startAutoTick<I>(p: {
  auto: NonNullable<RunPoolOptions<I>['auto']>;
  telemetry: JobTelemetry;
  pause: PauseGate | undefined;
  /** The shared queue (null under split, which auto does not run). */
  queue: SharedQueueSource<I> | null;
  times: FirstByteTimes;
  /** Workers the pool holds now. */
  target(): number;
  /** Workers whose connection has received bytes, running now. */
  transferring(): number;
  apply(d: AutoWorkersDecision): void;
}): { stop(): void; poke(): void } {
  const { auto, telemetry: t, times } = p;
  let wasPaused = false;
  let stopped = false;
  const tickMs = auto.tickMs ?? 50;
  /** How late the ticks fired, in all (ms): the job waiting for a CPU the machine gave to others. */
  let lagMs = 0;
  let lastTickAt = t.now();
  /** Feeds the controller one sample (false: the clock stopped at the tail). */
  const observe = (): boolean => {
    if (p.pause?.paused) {
      wasPaused = true;
      return true;
    }
    if (wasPaused) auto.controller.restartWindow();
    wasPaused = false;
    if (p.queue && p.queue.exhausted && p.queue.queued < p.target()) return false;
    const setting = times.settingUp();
    const d = auto.controller.observe({
      atMs: t.now(), bytes: t.bytesDone, items: t.itemsDone + t.itemsFailed, rateCap: auto.rateCap?.() ?? null,
      transferring: p.transferring(), lagMs, waitMs: times.waitMs, transferMs: times.transferMs, setUps: times.setUps, setUpMs: times.setUpMs,
      settingUp: setting.count, settingUpMs: setting.ms,
    });
    if (d) p.apply(d);
    return true;
  };
  const stop = () => {
    stopped = true;
    clearInterval(tick);
  };
  const tick = setInterval(() => {
    const now = t.now();
    lagMs += Math.max(0, now - lastTickAt - tickMs);
    lastTickAt = now;
    if (!observe()) stop();
  }, tickMs);
  tick.unref?.();
  let poked = false;
  return {
    stop,
    // An item ended while the controller waits for an early step's evidence: read it now, not at the next
    // tick (up to 50 ms later). Out of the caller's stack (a session's reply handler), once per turn.
    poke: () => {
      if (stopped || poked || !auto.controller.awaitsEarlyStep) return;
      poked = true;
      setImmediate(() => {
        poked = false;
        if (!stopped && auto.controller.awaitsEarlyStep && !observe()) stop();
      });
    },
  };
}
