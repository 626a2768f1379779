import type { MailJobSpec } from '../../../shared/job-spec';
import { readFolderDirs } from './account-folders';
import { accountDirOf } from './folder-names';
import { peekEarlyQuickList } from './quick-list';
import { closeStores, startAccountDiskScans, unchangedFolders } from './unchanged-check';

/**
 * Whether a `fanout mail` run has work for a full run, decided in the CLI's first node from the
 * listing `startEarlyQuickList` started, before it re-launches node with the launch settings
 * (bin/relaunch.js): those (heap limits, malloc settings, a thread pool of 32) matter only to a run
 * that fetches, and a second node start costs a run with nothing new ~100-150 ms.
 *
 * True (re-launch: the full run) when no early listing was started for this job, when it gave way
 * to imapflow (`ok: false`), or when a folder is not provably unchanged by the job's own test
 * (`unchangedFolders`, on the same folders.json and state files). False when every folder is
 * unchanged, and when the listing failed (a refused login, a timeout): the job then ends here as it
 * would in the re-launched node, with the same error from the same listing (it takes that listing
 * up), and a wrong password is not tried twice. The job decides again under its lock from the same
 * listing; this only chooses the process it runs in.
 */
export async function earlyListingShowsWork(spec: Pick<MailJobSpec, 'account' | 'outDir' | 'timeoutMs' | 'folders'>): Promise<boolean> {
  const root = accountDirOf(spec.outDir, spec.account);
  const listing = peekEarlyQuickList(spec.account, root, spec.timeoutMs);
  if (!listing) return true;
  // The disk's stat pass starts now, while the listing may still be on the wire; the job that follows in this node takes it.
  startAccountDiskScans(root, true);
  const q = await listing.catch(() => null);
  if (q === null) return false;
  if (!q.ok) return true;
  try {
    const { dirs } = await readFolderDirs(root);
    const unchanged = await unchangedFolders(q.folders, dirs, root, spec.folders);
    if (unchanged) await closeStores(unchanged.stores.values());
    return unchanged === null;
  } catch {
    return true;
  }
}
