import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailAccount, MailJobSpec } from '../../../shared/job-spec';
import { folderAbsDir, readFolderDirs, selectFolders } from './account-folders';
import { startDiskScans } from './disk-record';
import { recordedGenerationDirs } from './generations';
import { recoverFolderDirs } from './recover-folder-dirs';
import { assignFolderDirs } from './folder-names';
import { FolderStore } from './folder-store';
import { inListOrder, isSelectable, type MailFolderInfo } from './folders';
import { isUnchanged, stillUnopenable } from './plan-folder';
import { quickList, quickListReason, takeEarlyQuickList, type QuickFolder, type QuickListing, type QuickListOptions } from './quick-list';

/**
 * The quick listing, started when the account was archived before (`<root>/folders.json`) and is
 * one quick-list.ts handles; null otherwise. It settles on its own (LOGOUT is in its one write).
 * One the process started before the job loaded (`startEarlyQuickList`) for the same account,
 * folder and timeout is taken up instead of a second connection.
 */
export async function startQuickListing(account: MailAccount, root: string, opts: QuickListOptions): Promise<{ listing: Promise<QuickListing> } | null> {
  const started = takeEarlyQuickList(account, root, opts);
  if (started) {
    // The CLI's first node decided on this listing and scanned the disk for it (quick-decision.ts): the same scans.
    startAccountDiskScans(root, true);
    return { listing: started };
  }
  if (quickListReason(account) !== null) return null;
  const archived = await stat(join(root, 'folders.json')).then(() => true, () => false);
  if (!archived) return null;
  const listing = quickList(account, opts);
  listing.catch(() => undefined);
  startAccountDiskScans(root, false);
  return { listing };
}

/**
 * Starts the stat pass of the account's archived folders (`startDiskScans`: their `.eml` files'
 * count, bytes and mtimes, for `FolderStore.checkDisk`) now, so that it runs while the listing is on
 * the wire; `reuse`: keep one the CLI's first node started for the same run.
 */
export function startAccountDiskScans(root: string, reuse: boolean): void {
  startDiskScans(
    root,
    () => {
      // Kept for the job of this run (`takeScannedFolderDirs`): a folders.json lost or unreadable is one walk of the account, not two.
      const dirs = readFolderDirs(root).then(async ({ dirs: listed, text }) => (text === null ? { recovered: true, dirs: await recoverFolderDirs(root) } : { recovered: false, dirs: listed }));
      scannedDirs.set(root, { at: performance.now(), dirs });
      return dirs.then((d) => d.dirs);
    },
    recordedGenerationDirs,
    reuse,
  );
}

/** The folder directories the disk scans of this run read (`startAccountDiskScans`), by account root; recovered: read back from the directories' state.json. */
const scannedDirs = new Map<string, { at: number; dirs: Promise<{ recovered: boolean; dirs: Record<string, string> }> }>();

/** How long the scans' folder directories stand for the run that started them (the disk scans' own limit). */
const SCANNED_DIRS_MAX_AGE_MS = 10_000;

/**
 * The folder → directory mapping the disk scans of this run recovered (`recoverFolderDirs`, folders.json
 * lost or unreadable when they started, under 10 s ago), once; null when they read folders.json, or
 * none ran: the job then walks the account itself.
 */
export async function takeScannedFolderDirs(root: string): Promise<Record<string, string> | null> {
  const scanned = scannedDirs.get(root);
  scannedDirs.delete(root);
  if (!scanned || performance.now() - scanned.at > SCANNED_DIRS_MAX_AGE_MS) return null;
  const d = await scanned.dirs.catch(() => null);
  return d?.recovered ? d.dirs : null;
}

/**
 * Decides from the quick listing (quick-list.ts) whether a run has provably nothing to do: every
 * folder listed is one an earlier run named (folders.json: no new folder, no new directory), every
 * folder the job archives exists, and each of those is up to date by the full path's own test
 * (`isUpToDate`: UIDVALIDITY, UIDNEXT, message count and HIGHESTMODSEQ equal to what its last
 * complete run saw; flags are archived too, so without HIGHESTMODSEQ nothing is proved; and its
 * `.eml` files and index.jsonl as that run left them: a readdir and a stat, `FolderStore.checkDisk`).
 *
 * Returns the folders as the full path would have listed them (`listFoldersOn`: same paths,
 * directories, numbers and order), so the job goes on through the same code from the listing on
 * and reports the same tallies, counts and files, with the stores it opened for the selected ones
 * (by path, open: the caller closes them; the job takes them instead of opening each folder's
 * state.json a second time); or null, and the full path runs from the start (nothing left open).
 * Reads state.json only; writes nothing but the folder directories the full path makes too.
 */
export async function unchangedFolders(listed: QuickFolder[], existingDirs: Record<string, string>, root: string, wanted: MailJobSpec['folders']): Promise<UnchangedFolders | null> {
  if (listed.length === 0) return null;
  const dirs = assignFolderDirs(listed, existingDirs);
  const folders: MailFolderInfo[] = [];
  for (const f of listed) {
    const dir = existingDirs[f.path];
    if (dir === undefined || dirs[f.path] !== dir) return null;
    folders.push(infoOf(f, dir));
  }
  folders.sort(inListOrder);
  let missing = false;
  const selected = selectFolders(folders, wanted, { reportFailure: () => (missing = true) });
  if (missing) return null;
  // The same stores the full path opens (deferIndex: the state alone, no index read), all at once:
  // each is ~6 hops to the thread pool (mkdir, stat, open, fstat, read, close), which one after
  // another cost 20-50 ms per pass on a loaded machine.
  const stores = await Promise.all(selected.map((info) => FolderStore.open(folderAbsDir(root, info.dir, info.path), info.path, { deferIndex: true }).catch(() => null)));
  // A folder an earlier run found unopenable, listed again without STATUS, is still skipped in a run
  // of all folders (`stillUnopenable`); named with --folders, it is that folder's failure (full path).
  const skips = (info: MailFolderInfo, store: FolderStore) => wanted === 'all' && stillUnopenable(info, store);
  const same = (await Promise.all(selected.map((info, i) => stores[i] !== null && (skips(info, stores[i]!) || isUnchanged(info, stores[i]!))))).every(Boolean);
  if (!same) {
    await closeStores(stores);
    return null;
  }
  return { folders, stores: new Map(selected.map((info, i) => [info.path, stores[i]!])) };
}

/** What `unchangedFolders` proved: the folders as listed, and the open stores of the selected ones, by path. */
export interface UnchangedFolders {
  folders: MailFolderInfo[];
  stores: Map<string, FolderStore>;
}

/** Closes stores (never throws). */
export async function closeStores(stores: Iterable<FolderStore | null>): Promise<void> {
  await Promise.all([...stores].map((store) => store?.close().catch(() => undefined)));
}

/** A listed folder as `listFoldersOn` describes it (name, parent and special use are the UI's, unused by a job). */
function infoOf(f: QuickFolder, dir: string): MailFolderInfo {
  const st = f.status;
  const num = (key: string) => (st?.has(key) ? Number(st.get(key)) : null);
  const cut = f.delimiter ? f.path.lastIndexOf(f.delimiter) : -1;
  return {
    path: f.path,
    name: cut < 0 ? f.path : f.path.slice(cut + f.delimiter.length),
    delimiter: f.delimiter,
    parent: cut > 0 ? f.path.slice(0, cut) : null,
    specialUse: f.flags.find((x) => /^\\(sent|drafts|trash|junk|archive|all|flagged)$/i.test(x)) ?? null,
    flags: f.flags,
    selectable: isSelectable(f.flags),
    messages: num('MESSAGES'),
    unseen: null,
    uidNext: num('UIDNEXT'),
    uidValidity: st?.get('UIDVALIDITY') ?? null,
    highestModseq: st?.get('HIGHESTMODSEQ') ?? null,
    dir,
  };
}
