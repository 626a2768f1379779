import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MailJobSpec } from '../../../shared/job-spec';
import { FanoutError } from '../core/fanout-error';
import type { JobBodyContext } from '../core/run-job';
import { isInside } from '../output/safe-path';
import { layoutError } from './archive-layout';
import type { MailFolderInfo } from './folders';

// The account's folders on disk and which of the server's a job archives (run-mail-job.ts).

/** folders.json: the directories of the folders, and its text as read (null when absent or unreadable). */
export async function readFolderDirs(root: string): Promise<{ dirs: Record<string, string>; text: string | null }> {
  try {
    const text = await readFile(join(root, 'folders.json'), 'utf8');
    const parsed = JSON.parse(text) as { dirs?: Record<string, string> };
    return { dirs: parsed.dirs ?? {}, text };
  } catch (err) {
    // A directory in its place could never be written over: said now, naming it (layoutError).
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw layoutError(err, join(root, 'folders.json'), "The account's folder list");
    return { dirs: {}, text: null };
  }
}

export function folderAbsDir(root: string, rel: string, folder: string): string {
  const abs = resolve(root, ...rel.split('/'));
  if (!isInside(root, abs)) {
    throw new FanoutError('UNSAFE_PATH', `Folder ${folder} would be written outside the output folder`, { folder });
  }
  return abs;
}

/** Folders to archive: every selectable one, or those named (unknown names are reported). */
export function selectFolders(all: MailFolderInfo[], wanted: MailJobSpec['folders'], job: Pick<JobBodyContext, 'reportFailure'>): MailFolderInfo[] {
  const selectable = all.filter((f) => f.selectable);
  if (wanted === 'all') return selectable;
  const out: MailFolderInfo[] = [];
  for (const name of wanted) {
    const f = selectable.find((x) => x.path === name) ?? selectable.find((x) => x.path.toLowerCase() === name.toLowerCase());
    if (f) out.push(f);
    else job.reportFailure(name, new FanoutError('FOLDER_NOT_FOUND', `Folder "${name}" does not exist on the server (or cannot be selected)`, { folder: name }));
  }
  return out;
}
