import { FanoutError } from '../core/fanout-error';
import type { FolderJob } from './plan-folder';
import { toUidSet } from './uid-set';

/**
 * The check that nothing is reported done that is not on disk: every UID the server held when the
 * folder was planned is in the index now (archived before or fetched in this run) or vanished
 * during the run, and the counts add up. Returns the error to fail the job with, or null.
 */
export function reconcileFolder(job: FolderJob): FanoutError | null {
  const { tally, store, uidValidity } = job;
  const missing = job.serverUids.filter((u) => !store.has(uidValidity, u) && !job.vanished.has(u));
  const sum = tally.archivedBefore + tally.fetched + tally.vanished;
  if (missing.length === 0 && sum === tally.onServer) return null;
  const folder = job.info.path;
  const numbers = `the server holds ${tally.onServer}; archived before ${tally.archivedBefore} + fetched now ${tally.fetched} + vanished ${tally.vanished} = ${sum}`;
  const set = toUidSet(missing);
  const which = missing.length > 0 ? `; ${missing.length} not in the archive (UID ${set.length > 300 ? `${set.slice(0, set.lastIndexOf(',', 300))}, …` : set})` : '';
  return new FanoutError('FOLDER_INCOMPLETE', `Folder ${folder} is incomplete: ${numbers}${which}`, { folder, uid: missing[0] });
}
