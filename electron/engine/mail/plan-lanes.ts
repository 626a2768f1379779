import type { ImapFlow } from 'imapflow';

/** A connection that can plan folders: the planning connection, or a worker session opened early. */
export interface PlanLane {
  /** Runs `fn` on the lane's connection (reopened when it dropped). */
  withClient<T>(fn: (client: ImapFlow) => Promise<T>): Promise<T>;
  /**
   * True once the fetching pool asks for this lane's connection: the lane then stops taking
   * folders (it finishes the one it is planning), so a worker never waits longer than one folder.
   */
  readonly wanted: () => boolean;
  /** Called once the lane stops planning (the pool may then fetch on its connection). */
  readonly stopped?: () => void;
}

/**
 * Plans folders over several connections at once. Planning a folder costs a few round trips
 * (EXAMINE, flags, UID list, sizes); done one folder after another on one connection it kept the
 * workers waiting (profiled: about half of a 1,000-message run at 50 ms RTT was serial planning).
 * Each lane takes the next folder until none is left or its connection is wanted for fetching
 * (the last lane still planning goes on regardless);
 * `planOne` hands each folder's chunks to the pool as soon as they exist, so fetching starts
 * while other folders are still being planned.
 *
 * Lanes join as their connection opens (`lanes` resolve in any order); a lane whose connection
 * failed to open simply plans nothing. Resolves when every folder was planned (or failed).
 */
export async function planOnLanes<F>(folders: readonly F[], lanes: ReadonlyArray<Promise<PlanLane | null>>, planOne: (folder: F, lane: PlanLane) => Promise<void>, signal: AbortSignal): Promise<void> {
  let next = 0;
  /** Lanes in their planning loop: the last one keeps planning even when wanted (someone must). */
  let active = 0;
  const runLane = async (lane: PlanLane | null): Promise<void> => {
    if (!lane) return;
    active++;
    try {
      while (next < folders.length && !signal.aborted && (active === 1 || !lane.wanted())) {
        const folder = folders[next++]!;
        await planOne(folder, lane);
      }
    } finally {
      active--;
      lane.stopped?.();
    }
  };
  await Promise.all(lanes.map((p) => p.then(runLane)));
}
