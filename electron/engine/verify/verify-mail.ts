import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { ImapFlow } from 'imapflow';
import type { MailAccount } from '../../../shared/job-spec';
import { abortedError, FanoutError } from '../core/fanout-error';
import { accountWhere, closeClient, openClient } from '../mail/connect';
import { readFolderDirs } from '../mail/account-folders';
import { listFoldersOn, type MailFolderInfo } from '../mail/folders';
import { recoverFolderDirs } from '../mail/recover-folder-dirs';
import { walkFolderDirs } from '../mail/folder-dir-walk';
import { generationDirsOf, readFolderState } from '../mail/generations';
import { announcedSize, readIndexFile, type IndexRecord } from '../mail/index-file';
import { mapImapError } from '../mail/imap-errors';
import { isMessageFileName, isTempName } from '../mail/message-file';
import { accountDir } from '../mail/run-mail-job';
import { isInside } from '../output/safe-path';
import { checkFile, unreadableDetail, unreadableReason } from './check-file';
import type { MadeVerifyReason } from '../../../shared/verify-report';
import { emptyReport, finishReport, type VerifyNote, type VerifyOptions, type MadeProblem, type MadeReport, type VerifyReportWithNotes } from './verify-report';

export interface VerifyMailSpec {
  account: MailAccount;
  outDir: string;
  /** "all", or folder paths. */
  folders: 'all' | string[];
  /** Messages to re-fetch and compare byte for byte (spread over the folders at random). */
  sample: number;
  timeoutMs: number;
}

interface LocalFolder {
  info: Pick<MailFolderInfo, 'path'>;
  dir: string;
  /** Records of the index, by "uidValidity:uid". */
  records: Map<string, IndexRecord>;
  /** Lines of the index that are no record (damaged). */
  badLines: number;
  /** Its generations' directories (absolute, the folder's own first), from state.json and the index: `generationDirsOf`. */
  gens: string[];
  /** What keeps the folder from being checked whole: its directory or index gone or unreadable. */
  missing: MadeProblem[];
  corrupt: MadeProblem[];
  /** A directory no record names (`unnamedWhere`): its missing and corrupt problems have reason `unrecorded` (no server folder to restore them from). */
  unrecorded?: boolean;
}

const key = (uidValidity: string, uid: number) => `${uidValidity}:${uid}`;

/** The account's folders on disk, and directories holding an archive that nothing names. */
interface AccountDirs {
  /** IMAP path → directory (relative to the account's folder). */
  dirs: Record<string, string>;
  /** Directories holding an index.jsonl or `.eml` files that no folder's mapping names (a state.json lost with folders.json). */
  unnamed: string[];
  /** folders.json unreadable in a way `fanout mail` stops at (a directory in its place). */
  corrupt: MadeProblem[];
}

/**
 * The account's folder directories: folders.json, or, when it is gone or unreadable, what each
 * directory's state.json says it holds (as `fanout mail` reads them back): never "no folder" over an
 * archive that has them, nor directories assigned afresh (two folders differing by case would swap).
 * Directories holding an archive (index.jsonl, `.eml` files) that neither names are checked too,
 * under their directory's name. Nothing at all to check against (no account folder, no folder in
 * it): a `BAD_INPUT` error, never an OK over an archive verify could not see.
 */
async function readDirs(root: string): Promise<AccountDirs> {
  const corrupt: MadeProblem[] = [];
  const { dirs: listed, text } = await readFolderDirs(root).catch((err: unknown) => {
    corrupt.push({ where: basename(root), file: 'folders.json', reason: 'record', detail: `${unreadableDetail(err)}: \`fanout mail\` stops at it (move it out of the way); the folders were read back from their state.json` });
    return { dirs: {}, text: null };
  });
  // One walk of the account: the folders' state.json (folders.json gone) and the archives no record names.
  const found = await walkFolderDirs(root);
  const dirs = text === null ? await recoverFolderDirs(root, found) : listed;
  const named = new Set(Object.values(dirs));
  const unnamed = found.filter((d) => d.archive && !named.has(d.rel)).map((d) => d.rel).sort();
  if (Object.keys(dirs).length === 0 && unnamed.length === 0) throw nothingToCheck(root, text !== null);
  return { dirs, unnamed, corrupt };
}

/** The error for an account folder with no archive verify can check. */
function nothingToCheck(root: string, hasFoldersJson: boolean): FanoutError {
  const why = hasFoldersJson ? 'its folders.json names no folder, and no directory in it holds an index.jsonl or .eml files' : 'it holds no folders.json, and no directory in it a state.json, an index.jsonl or .eml files (is it the account folder of a `fanout mail --out`? were they deleted?)';
  return new FanoutError(
    'BAD_INPUT',
    `Cannot verify ${root}: nothing to check it against; ${why}. verify checks an archive against the records \`fanout mail\` keeps (folders.json, each folder's state.json and index.jsonl); \`fanout mail\` with the same --out archives the account again (files still whole at the server's size are taken back, not fetched), then verify can check it`,
    { path: root },
  );
}

/**
 * Files of a folder directory's generations (`gens`, absolute) that no index line names (orphans,
 * temp files), "/"-separated relative to the folder. Lines are matched by the file they resolve to,
 * not by their spelling (`uidvalidity-6/./3.eml` names `uidvalidity-6/3.eml`).
 */
async function extraFiles(dir: string, records: Map<string, IndexRecord>, gens: readonly string[]): Promise<string[]> {
  const named = new Set([...records.values()].map((r) => resolve(dir, ...r.file.split('/'))));
  const out: string[] = [];
  for (const g of gens) {
    let names: string[] = [];
    try {
      names = await readdir(g);
    } catch {
      continue;
    }
    for (const n of names) {
      if ((isMessageFileName(n) || isTempName(n)) && !named.has(join(g, n))) out.push(relative(dir, join(g, n)).split(sep).join('/'));
    }
  }
  return out.sort();
}

/** What a file no index line names is, and what a re-run does with it. */
function extraOf(rel: string): Pick<MadeProblem, 'reason' | 'detail'> {
  const name = rel.slice(rel.lastIndexOf('/') + 1);
  if (isTempName(name)) return { reason: 'temp', detail: 'on disk, in no index line: a temp file of a stopped run (`fanout mail` again removes it)' };
  return { reason: 'extra', detail: 'on disk, in no index line: left by a stopped run or put there (`fanout mail` again adopts it if the server has this UID at this size, else fetches it anew)' };
}

/**
 * A folder's archive as its records say: the index (its lines, damaged ones counted), the
 * generations (state.json and the index), and what keeps it from being checked: its directory gone
 * or not one, index.jsonl gone while messages were archived, or unreadable (a directory in its place).
 */
async function readLocalFolder(root: string, rel: string | undefined, path: string): Promise<LocalFolder> {
  const records = new Map<string, IndexRecord>();
  const folder: LocalFolder = { info: { path }, dir: '', records, badLines: 0, gens: [], missing: [], corrupt: [] };
  if (rel === undefined) return folder;
  const dir = resolve(root, ...rel.split('/'));
  // As `fanout mail` refuses it (folderAbsDir, UNSAFE_PATH): a directory outside the account's folder is not this archive.
  if (!isInside(root, dir)) {
    folder.corrupt.push({ where: path, file: 'folders.json', reason: 'record', detail: `names ${rel}/ for this folder, outside the account's folder: not checked (\`fanout mail\` refuses it too: UNSAFE_PATH)` });
    return folder;
  }
  const st = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
  if (st instanceof Error) {
    if (st.code === 'ENOENT' || st.code === 'ENOTDIR') folder.missing.push({ where: path, reason: 'missing', detail: `its directory ${rel}/ is gone: every message archived there is lost (\`fanout mail\` again fetches the folder whole)` });
    else folder.corrupt.push({ where: path, reason: unreadableReason(st), detail: `its directory ${rel}/ ${unreadableDetail(st)}` });
    return folder;
  }
  if (!st.isDirectory()) {
    folder.corrupt.push({ where: path, reason: 'record', detail: `its directory ${rel}/ is not a directory` });
    return folder;
  }
  folder.dir = dir;
  const { state, text } = await readFolderState(join(dir, 'state.json'), path).catch((err: unknown) => {
    folder.corrupt.push({ where: path, file: 'state.json', reason: 'record', detail: `${unreadableDetail(err)}: \`fanout mail\` stops at it (move it out of the way)` });
    return { state: { generations: [], synced: null }, text: null };
  });
  // The generations state.json and the index name; one outside the folder is not looked into (FolderStore refuses it too).
  const generations = [...state.generations];
  try {
    for await (const r of readIndexFile(join(dir, 'index.jsonl'), () => folder.badLines++)) {
      records.set(key(r.uidValidity, r.uid), r);
      if (r.file.includes('/')) generations.push({ uidValidity: r.uidValidity, dir: r.file.slice(0, r.file.lastIndexOf('/')) });
    }
  } catch (err) {
    folder.corrupt.push({ where: path, file: 'index.jsonl', reason: 'record', detail: `${unreadableDetail(err)}: no record of the folder's messages can be read, its files show as extra` });
    return folder;
  } finally {
    folder.gens = generationDirsOf(dir, generations);
  }
  if (records.size === 0 && folder.badLines === 0 && !(await stat(join(dir, 'index.jsonl')).then(() => true, () => false))) {
    const recorded = text !== null ? (state.synced?.messages ?? 0) : 0;
    const files = (await readdir(dir).catch(() => [] as string[])).filter(isMessageFileName).length;
    if (recorded > 0 || files > 0) {
      const had = recorded > 0 ? `state.json records ${recorded} message(s)` : `${files} .eml file(s) are here`;
      folder.missing.push({ where: path, file: 'index.jsonl', reason: 'missing', detail: `gone (${had}): no record to check the files against, they show as extra (\`fanout mail\` again takes back those whole at the server's size)` });
    }
  }
  return folder;
}

/** Re-hashes every file the folders' indexes name, and lists files no line names. Returns the records found missing or corrupt. */
async function checkLocalFolders(local: LocalFolder[], report: MadeReport, opts: VerifyOptions): Promise<Set<IndexRecord>> {
  const total = local.reduce((n, f) => n + f.records.size, 0);
  let hashed = 0;
  const flagged = new Set<IndexRecord>();
  for (const f of local) {
    /** A problem's reason, unless the directory is one no record names. */
    const why = (reason: MadeVerifyReason): MadeVerifyReason => (f.unrecorded ? 'unrecorded' : reason);
    report.missing.push(...f.missing.map((p) => ({ ...p, reason: why(p.reason) })));
    report.corrupt.push(...f.corrupt.map((p) => ({ ...p, reason: why(p.reason) })));
    if (f.badLines > 0) report.corrupt.push({ where: f.info.path, file: 'index.jsonl', reason: why('record'), detail: `${f.badLines} line(s) are no record (damaged): the files they named show as extra` });
    for (const r of f.records.values()) {
      if (opts.signal?.aborted) throw abortedError();
      const abs = resolve(f.dir, ...r.file.split('/'));
      const check = isInside(f.dir, abs) ? await checkFile(abs, r.size, r.sha256) : ({ state: 'corrupt', reason: 'record', detail: 'index names a file outside the folder' } as const);
      if (check.state === 'missing') report.missing.push({ where: f.info.path, file: r.file, uid: r.uid, reason: why('missing'), detail: 'in the index, not on disk' });
      else if (check.state === 'corrupt') report.corrupt.push({ where: f.info.path, file: r.file, uid: r.uid, reason: why(check.reason), detail: check.detail });
      if (check.state !== 'ok') flagged.add(r);
      report.checked.files++;
      opts.onProgress?.({ phase: 'hashing', done: ++hashed, total });
    }
    if (f.dir) for (const x of await extraFiles(f.dir, f.records, f.gens)) report.extra.push({ where: f.info.path, file: x, ...extraOf(x) });
  }
  return flagged;
}

/**
 * The archive of an account (`root` = `<out>/<user@host>/`) against its own indexes only, without
 * the server (the History screen has no password): every file re-hashed, files no line names.
 */
export async function verifyMailLocal(root: string, opts: VerifyOptions = {}): Promise<VerifyReportWithNotes> {
  const report: VerifyReportWithNotes = emptyReport('mail');
  const { dirs, unnamed, corrupt } = await readDirs(root);
  report.corrupt.push(...corrupt);
  const local: LocalFolder[] = [];
  for (const [path, rel] of Object.entries(dirs)) local.push(await readLocalFolder(root, rel, path));
  for (const rel of unnamed) local.push({ ...(await readLocalFolder(root, rel, unnamedWhere(rel))), unrecorded: true });
  await checkLocalFolders(local, report, opts);
  if (unnamed.length > 0) report.notes = unnamed.map(unnamedNote);
  return finishReport(report);
}

/** How a directory no record names is called in a report. */
const unnamedWhere = (rel: string) => `${rel}/ (folder not recorded)`;

function unnamedNote(rel: string): VerifyNote {
  return {
    where: unnamedWhere(rel),
    detail: 'a directory holding an archive that neither folders.json nor a state.json names (which server folder it is was lost with them): checked against its own index.jsonl; `fanout mail` again names it in folders.json if its folder is on the server',
  };
}

/**
 * Compares an account's archive with its own index (every file re-hashed), and with the server:
 * every message the server holds (current UIDVALIDITY) is archived with the server's RFC822.SIZE;
 * `sample` messages are re-fetched (BODY.PEEK[]: nothing changes on the server) and compared byte
 * for byte. Folders are opened read-only (EXAMINE).
 */
export async function verifyMailArchive(spec: VerifyMailSpec, opts: VerifyOptions = {}): Promise<VerifyReportWithNotes> {
  const report: VerifyReportWithNotes = emptyReport('mail');
  const notes: VerifyNote[] = [];
  const root = accountDir(spec);
  const where = accountWhere(spec.account);
  const { dirs, unnamed, corrupt } = await readDirs(root);
  report.corrupt.push(...corrupt);
  let client: ImapFlow | null = null;
  try {
    client = await openClient(spec.account, { timeoutMs: spec.timeoutMs, signal: opts.signal });
    const list = await listFoldersOn(client, dirs).catch((err: unknown) => {
      throw mapImapError(err, where);
    });
    const all = list.filter((f) => f.selectable);
    const asked = (path: string) => spec.folders === 'all' || spec.folders.some((w) => w.toLowerCase() === path.toLowerCase());
    const wanted = all.filter((f) => asked(f.path));
    // Folders archived by an earlier run and no longer on the server (deleted or renamed there), or
    // listed there but no longer selectable (\Noselect, \NonExistent: deleted while it had
    // subfolders): the archive is their only copy, so it is re-hashed all the same; the report notes them.
    const onServer = new Set(all.map((f) => f.path));
    const unselectable = new Map(list.filter((f) => !f.selectable).map((f) => [f.path, f.flags.find((x) => /^\\(noselect|nonexistent)$/i.test(x)) ?? '\\Noselect']));
    const gone = Object.keys(dirs).filter((p) => !onServer.has(p) && asked(p));
    if (spec.folders !== 'all') {
      for (const w of spec.folders) {
        const known = (p: string) => p.toLowerCase() === w.toLowerCase();
        if (!wanted.some((f) => known(f.path)) && !gone.some(known)) report.missing.push({ where: w, reason: 'no-folder', detail: 'no such folder on the server, nor in the archive' });
      }
    }

    // 1. The archive against its own index.
    const local: LocalFolder[] = [];
    for (const info of wanted) local.push(await readLocalFolder(root, dirs[info.path], info.path));
    const goneLocal: LocalFolder[] = [];
    for (const path of gone) goneLocal.push(await readLocalFolder(root, dirs[path], path));
    const unnamedLocal: LocalFolder[] = [];
    if (spec.folders === 'all') for (const rel of unnamed) unnamedLocal.push({ ...(await readLocalFolder(root, rel, unnamedWhere(rel))), unrecorded: true });
    const flagged = await checkLocalFolders([...local, ...goneLocal, ...unnamedLocal], report, opts);
    if (spec.folders === 'all') notes.push(...unnamed.map(unnamedNote));
    for (const f of goneLocal) {
      const flag = unselectable.get(f.info.path);
      notes.push({ where: f.info.path, detail: flag ? notSelectableNote(f.records.size, flag) : `archived (${f.records.size} messages), no longer on the server (deleted or renamed there): the archive is its only copy; its files were re-hashed` });
    }

    // 2. The archive against the server: every UID with its size.
    const candidates: Array<{ folder: LocalFolder; rec: IndexRecord }> = [];
    let listed = 0;
    for (const f of local) {
      if (opts.signal?.aborted) throw abortedError();
      opts.onProgress?.({ phase: `listing ${f.info.path}`, done: listed++, total: local.length });
      const mb = await client.mailboxOpen(f.info.path, { readOnly: true }).catch((err: unknown) => {
        const mapped = mapImapError(err, where, { folder: f.info.path });
        // Listed without \Noselect, yet "doesn't exist": Dovecot (maildir++) keeps listing a folder
        // deleted while it had subfolders with \HasChildren only. Its files were re-hashed above.
        if (mapped.code === 'FOLDER_NOT_FOUND') return null;
        throw mapped;
      });
      if (mb === null) {
        notes.push({ where: f.info.path, detail: notSelectableNote(f.records.size, null) });
        continue;
      }
      const uv = String(mb.uidValidity);
      const older = new Map<string, number>();
      for (const r of f.records.values()) if (r.uidValidity !== uv) older.set(r.uidValidity, (older.get(r.uidValidity) ?? 0) + 1);
      if (older.size > 0) notes.push({ where: f.info.path, detail: olderGenerationsNote(older, uv) });
      if (mb.exists === 0) continue;
      for await (const m of client.fetch('1:*', { uid: true, size: true }, { uid: true })) {
        report.checked.serverMessages++;
        const rec = f.records.get(key(uv, m.uid));
        if (!rec) report.missing.push({ where: f.info.path, uid: m.uid, reason: 'not-archived', detail: 'on the server, not in the archive' });
        // A server that approximates RFC822.SIZE: the size it announced when archived (`serverSize`).
        else if (announcedSize(rec) !== m.size) report.corrupt.push({ where: f.info.path, uid: m.uid, file: rec.file, reason: 'size', detail: `archived ${rec.size} bytes, the server says ${m.size}` });
        else if (!flagged.has(rec)) candidates.push({ folder: f, rec });
      }
    }

    // 3. A sample re-fetched and compared byte for byte.
    const sample = pick(candidates, spec.sample);
    let sampled = 0;
    for (const { folder, rec } of sample) {
      if (opts.signal?.aborted) throw abortedError();
      if (client.mailbox === false || client.mailbox.path !== folder.info.path) await client.mailboxOpen(folder.info.path, { readOnly: true });
      const m = await client.fetchOne(String(rec.uid), { uid: true, source: true }, { uid: true });
      const disk = await readFile(resolve(folder.dir, ...rec.file.split('/'))).catch(() => null);
      if (!m || !m.source) report.missing.push({ where: folder.info.path, uid: rec.uid, reason: 'vanished', detail: 'vanished from the server during the check' });
      else if (!disk || !disk.equals(m.source)) report.corrupt.push({ where: folder.info.path, uid: rec.uid, file: rec.file, reason: disk ? 'hash' : 'unreadable', detail: 'bytes differ from the server' });
      report.checked.sampled++;
      opts.onProgress?.({ phase: 'sampling', done: ++sampled, total: sample.length });
    }
  } finally {
    if (client) await closeClient(client);
  }
  if (notes.length > 0) report.notes = notes;
  return finishReport(report);
}

/** The note for a folder whose archive holds generations older than the server's UIDVALIDITY `uv`. */
function olderGenerationsNote(older: Map<string, number>, uv: string): string {
  const list = [...older].map(([g, n]) => `${n} of UIDVALIDITY ${g}`).join(', ');
  return `archived from earlier versions of the folder (recreated on the server; now UIDVALIDITY ${uv}): ${list} message(s); their files were re-hashed against the index, the server no longer holds them to compare`;
}

/** The note for an archived folder the server lists but cannot open: `flag` as listed, or null when only SELECT said so. */
function notSelectableNote(messages: number, flag: string | null): string {
  const why = flag ? flag : 'the server cannot open it; its subfolders remain';
  return `archived (${messages} messages), listed on the server but no longer selectable (${why}): its messages are gone from there, the archive is their only copy; its files were re-hashed`;
}

/** `n` items at random (all when n ≥ length). */
function pick<T>(items: T[], n: number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, Math.max(0, n));
}
