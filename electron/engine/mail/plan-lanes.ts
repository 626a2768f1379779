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
  /**
   * Awaited before the lane takes its next folder. A job's only connection waits here until the
   * pool has fetched the chunks of the folder it just planned, which is still selected.
   */
  readonly beforeNext?: () => Promise<void>;
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
      let first = true;
      while (next < folders.length && !signal.aborted && (active === 1 || !lane.wanted())) {
        if (!first && lane.beforeNext) {
          await lane.beforeNext();
          // Another lane may have taken the last folders meanwhile.
          if (next >= folders.length || signal.aborted) break;
        }
        first = false;
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

/**
 * Chunks handed to the pool and not yet received (every message in hand or being written) nor
 * settled (done or failed for good): a job's only connection plans its next folder once there are
 * none, so it fetches each folder while the folder is still selected for its plan instead of
 * planning every folder first and EXAMINEing each again to fetch it (one round trip per folder).
 * Received is enough: the session hands its connection on when a FETCH is over, and the next
 * folder's EXAMINE and size FETCH go out while the last writes (and the folder's state) settle.
 */
export class ChunksInFlight<C = unknown> {
  readonly #chunks = new Set<C>();
  #waiter: (() => void) | null = null;

  add(chunks: Iterable<C>): void {
    for (const c of chunks) this.#chunks.add(c);
  }

  /** The chunk's messages are received, or it settled: either once, in any order, for any attempt. */
  settled(chunk: C): void {
    this.#chunks.delete(chunk);
    if (this.#chunks.size === 0) this.#wake();
  }

  /** Resolves when none is in flight, or when `ended` settles (the pool stopped: none will settle). */
  idle(ended: Promise<unknown> | null): Promise<void> {
    if (this.#chunks.size === 0 || !ended) return Promise.resolve();
    const done = new Promise<void>((resolve) => (this.#waiter = resolve));
    return Promise.race([done, ended.then(() => undefined, () => undefined)]).finally(() => (this.#waiter = null));
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = null;
    w?.();
  }
}
