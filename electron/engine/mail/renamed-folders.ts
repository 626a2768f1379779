import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { folderAbsDir } from './account-folders';
import { FolderStore } from './folder-store';
import type { MailFolderInfo } from './folders';
import { readFolderState } from './generations';
import { examineFolder } from './imapflow-rounds';
import { toDate } from './message-meta';

/** A folder renamed on the server since the last run, whose archive it takes over. */
export interface RenamedFolder {
  /** The folder as listed now (its `dir` is set to the archive's directory). */
  info: MailFolderInfo;
  /** The IMAP path it was archived under (no longer listed). */
  from: string;
}

/**
 * Folders renamed on the server since the last run: a listed folder with no directory yet whose
 * UIDVALIDITY (LIST-STATUS) is the last archived UIDVALIDITY (`state.json` `synced`, else its only
 * generation's) of exactly one archived folder no longer listed, and of no other. Dovecot, Cyrus and Courier keep a folder's
 * UIDVALIDITY across RENAME (tests/integration/mail/mid-run-changes.test.ts), so without this a
 * rename fetched the folder whole into a new directory.
 *
 * UIDVALIDITY alone does not prove it is the same folder (RFC 3501 ties a UID to the mailbox's
 * name, and folders created in the same second may share one), so each candidate is checked on the
 * server before anything is moved (`sameMessages`): EXAMINE, then every message's RFC822.SIZE and
 * INTERNALDATE against the archive's index for the same UID; one that differs, or nothing in common,
 * and the folder is archived afresh, as before. Taken over, the folder keeps its archive's directory
 * (named after its old path: a directory is never renamed under an archive) and its state.json
 * names the new path; the caller writes folders.json without the old path. Only reads the disk,
 * except the moved folders' state.json (their `path`), written before folders.json.
 */
export async function takeOverRenamed(client: ImapFlow, listed: MailFolderInfo[], existingDirs: Record<string, string>, root: string): Promise<RenamedFolder[]> {
  const listedPaths = new Set(listed.map((f) => f.path));
  const fresh = listed.filter((f) => f.selectable && f.uidValidity !== null && existingDirs[f.path] === undefined);
  const gone = Object.keys(existingDirs).filter((p) => !listedPaths.has(p));
  if (fresh.length === 0 || gone.length === 0) return [];
  // The UIDVALIDITY each gone folder was last archived at.
  const goneUv = new Map<string, string[]>();
  for (const path of gone) {
    let dir: string;
    try {
      dir = folderAbsDir(root, existingDirs[path]!, path);
    } catch {
      continue;
    }
    const { state } = await readFolderState(join(dir, 'state.json'), path).catch(() => ({ state: null }));
    // The UIDVALIDITY of its last complete run, else of its only generation (a run stopped part-way: the rename during it).
    const uv = state?.synced?.uidValidity ?? (state?.generations.length === 1 ? state.generations[0]!.uidValidity : undefined);
    if (!uv) continue;
    goneUv.set(uv, [...(goneUv.get(uv) ?? []), path]);
  }
  const freshUv = new Map<string, number>();
  for (const f of fresh) freshUv.set(f.uidValidity!, (freshUv.get(f.uidValidity!) ?? 0) + 1);
  const moved: RenamedFolder[] = [];
  for (const info of fresh) {
    const uv = info.uidValidity!;
    const from = goneUv.get(uv);
    // One folder gone and one new with this UIDVALIDITY, or none is taken over.
    if (!from || from.length !== 1 || freshUv.get(uv) !== 1) continue;
    const old = from[0]!;
    const dir = existingDirs[old]!;
    // Anything that fails here (the folder cannot be opened, its archive not read) leaves it as a new
    // folder, archived afresh as before; a dropped connection shows again when the folder is planned.
    const taken = await takeOver(client, info, old, folderAbsDir(root, dir, old), uv).catch(() => false);
    if (!taken) continue;
    info.dir = dir;
    moved.push({ info, from: old });
  }
  return moved;
}

/** Checks the pair (`sameMessages`) and, when it is the same folder, has its state.json name the new path. */
async function takeOver(client: ImapFlow, info: MailFolderInfo, old: string, abs: string, uv: string): Promise<boolean> {
  const store = await FolderStore.open(abs, old, { deferIndex: true });
  try {
    await store.loadIndex();
    if (!(await sameMessages(client, info, store, uv))) return false;
    // state.json names the new path before folders.json does: a run stopped in between finds the
    // same pair again (the old path still in folders.json) and checks it again.
    store.state.path = info.path;
    await store.saveState();
    return true;
  } finally {
    await store.close();
  }
}

/**
 * True when the folder `info` holds at least one message the archive `store` has under generation
 * `uv`, and every message both hold by UID has the archive's size and INTERNALDATE (whole seconds):
 * the folder is the archived one under another name. EXAMINE (read-only) selects it on `client`.
 */
async function sameMessages(client: ImapFlow, info: MailFolderInfo, store: FolderStore, uv: string): Promise<boolean> {
  const mb = await examineFolder(client, info);
  if (String(mb.uidValidity) !== uv || mb.exists === 0) return false;
  let common = 0;
  let differ = 0;
  for await (const m of client.fetch('1:*', { uid: true, size: true, internalDate: true }, { uid: true })) {
    const same = store.sameAs(uv, m.uid, m.size ?? -1, toDate(m.internalDate));
    if (same === null) continue;
    if (same) common++;
    else differ++;
  }
  return common > 0 && differ === 0;
}
