/**
 * The re-launch bin/fanout.js left to the command (bin/relaunch.js `deferRelaunch`): `fanout mail`
 * decides in the first node whether it needs node's launch settings (heap limits, malloc settings,
 * mail's thread pool), which matter only to a run that fetches.
 */

/** Starts the re-launched node (its environment plus `env`); this process then ends as that one does, and does nothing more itself. */
export type Relaunch = (env?: Record<string, string>) => void;

/**
 * The deferred re-launch, taken (a second call returns null), or null when this process is the one
 * to run the job: re-launched already, the re-launch turned off (FANOUT_RELAUNCHED, a debugger), or
 * the CLI started some other way (tests, the TypeScript entry).
 */
export function takeDeferredRelaunch(): Relaunch | null {
  const key = Symbol.for('fanout.relaunch');
  const slot = globalThis as unknown as Record<symbol, Relaunch | undefined>;
  const relaunch = slot[key];
  delete slot[key];
  return typeof relaunch === 'function' ? relaunch : null;
}
