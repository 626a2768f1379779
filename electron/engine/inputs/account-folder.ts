import { accessSync, constants, statSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { accountDirOf } from '../mail/folder-names';
import { codeOf } from './file-checks';

/**
 * The account's archive folder (`<out>/<user@host>/`) of an account archived before, when this user
 * may not write it (another user's, root's; read-only media): `fanout mail` is refused before it
 * connects (exit 2), not after the IMAP login with the job's OUTPUT_NOT_WRITABLE (exit 1). The
 * output folder itself is `checkOutputFolder`'s. Nothing is written. No zod, no engine: the CLI's
 * first node calls `accountFolderRefusedSync` before it starts the early listing (mail-early.ts).
 */
const RWX = constants.R_OK | constants.W_OK | constants.X_OK;

function problemOf(dir: string, err: unknown): string | null {
  const code = codeOf(err);
  if (code === 'EACCES' || code === 'EPERM') {
    return `holds the archive folder ${dir}, which this user may not write (permission denied): fix its owner or permissions (or run as the user who owns it), then run again`;
  }
  if (code === 'EROFS') return `holds the archive folder ${dir}, which is on a read-only file system; choose another folder`;
  return null;
}

/** Why `fanout mail` must not write into the account's folder under `out` (it exists and may not be written), or null. */
export async function checkAccountFolder(out: string, account: { user: string; host: string }): Promise<string | null> {
  const dir = accountDirOf(out, account);
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    // ENOENT: a first run (made in the output folder, which checkOutputFolder checked).
    return problemOf(dir, err);
  }
  if (!st.isDirectory()) return `holds ${dir}, a file where the account's archive folder goes: move it out of the way, then run again`;
  return access(dir, RWX).then(() => null, (err: unknown) => problemOf(dir, err));
}

/** The same, synchronous and without the file case (a few µs): true when the job would be refused for its account folder. */
export function accountFolderRefusedSync(out: string, account: { user: string; host: string }): boolean {
  const dir = accountDirOf(out, account);
  try {
    if (!statSync(dir).isDirectory()) return true;
    accessSync(dir, RWX);
    return false;
  } catch (err) {
    return problemOf(dir, err) !== null;
  }
}

/**
 * What a Gutenberg job of an earlier run left in its output folder and writes again (`raw/`,
 * `clean/`, `manifest.jsonl`), when this user may not write one of them (root's, another user's):
 * refused by the input check (exit 2), naming it, as the output folder itself is. The job refused
 * it too, before any download, but as a failed job (exit 1). Missing ones are the job's to make.
 */
export async function checkCorpusEntries(out: string): Promise<string | null> {
  for (const [name, mode] of [['raw', RWX], ['clean', RWX], ['manifest.jsonl', constants.R_OK | constants.W_OK]] as const) {
    const path = join(out, name);
    const denied = await access(path, mode).then(() => null, (err: unknown) => {
      const code = codeOf(err);
      return code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? code : null;
    });
    if (denied === 'EROFS') return `is on a read-only file system; choose another folder`;
    if (denied) return `holds ${path}, which this user may not ${name === 'manifest.jsonl' ? 'read and write' : 'write'} (permission denied): fix its owner or permissions (or run as the user who owns it), then run again`;
  }
  return null;
}
