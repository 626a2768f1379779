/**
 * What the page asks the host at load and after a reconnect: the events of what started or ended
 * while it was away (or before it was loaded) never reached it. Jobs, labs, the catalog download and
 * a verify each bring their store in line; a BUSY refusal (another page started something) asks again too.
 */
import { syncActiveJobs } from './active-jobs';
import { syncCatalogDownload } from './catalog-store';
import { syncActiveLabs } from './lab-store';
import { syncVerify } from './verify-store';

export async function syncWithHost(jobs: { follow: boolean; show: boolean }): Promise<void> {
  const results = await Promise.allSettled([syncActiveJobs(jobs), syncActiveLabs(), syncCatalogDownload(), syncVerify()]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** After a command was refused with BUSY: the page's picture of the host was stale; bring it in line. */
export function resyncIfBusy(err: unknown): void {
  if ((err as { code?: unknown } | null)?.code === 'BUSY') void syncWithHost({ follow: false, show: false }).catch(() => {});
}
