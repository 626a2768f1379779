import type { Command } from 'commander';
import { constants } from 'node:fs';
import { access, open, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { accountDirOf } from '../engine/mail/folder-names';
import { toFanoutError } from '../engine/core/fanout-error';
import { checkExistingFolder, checkInputFile } from '../engine/inputs/file-checks';
import { isAccountArchiveFolder } from '../engine/inputs/mail-inputs';
import type { VerifyProblem, VerifyProgress, VerifyReportWithNotes } from '../engine/verify/verify-report';
import { exitOnProblems, intOption } from './cli-validation';
import { accountFrom, addAccountOptions, type AccountCliOptions } from './mail-command';
import { EXIT } from './exit-codes';

/** `manifest.jsonl` (not imported from the manifest store: `--help` loads no engine module). */
const MANIFEST_FILE = 'manifest.jsonl';

const MAX_LINES_PER_KIND = 100;

/**
 * A file this user may not read (reason `denied`): it may be whole; deleting it (the remedy for a
 * damaged one) would throw away what may be a good file. Its permissions are the fix. Every problem
 * verify-corpus.ts and verify-mail.ts make carries its reason: decided on it, never on the words.
 */
const isDenied = (p: VerifyProblem) => p.reason === 'denied';
/** A temp or partial file of a stopped run. */
const isLeftover = (p: VerifyProblem) => p.reason === 'temp';

/**
 * What to do about the problems found, for people (one line each): which of them a re-run fixes,
 * and what it does not.
 */
function whatToDo(r: VerifyReportWithNotes): string[] {
  if (r.ok) return [];
  const rerun = r.kind === 'mail' ? 'fanout mail' : 'fanout gutenberg';
  const out: string[] = [];
  const unreadable = r.corrupt.filter(isDenied);
  if (unreadable.length > 0) {
    out.push(`to do: ${unreadable.length} file(s) cannot be read by this user (no permission), so whether they are whole is not known: do not delete them; fix their permissions (or run verify as their owner), then verify again`);
  }
  if (r.kind === 'corpus') {
    if (r.missing.length > 0) out.push(`to do: run the same \`${rerun}\` again: it fetches the books whose files are missing`);
    const lines = r.corrupt.filter((p) => p.file === MANIFEST_FILE);
    if (r.corrupt.length > lines.length + unreadable.length) out.push(`to do: a damaged file keeps its size and date, so a re-run takes its book as done: delete the file(s) listed as corrupt, then run \`${rerun}\` again`);
    if (lines.length > 0) {
      const unnamed = lines.some((p) => p.ebook === undefined) ? `; a line that names no book stays until you delete it from ${MANIFEST_FILE}` : '';
      out.push(`to do: ${MANIFEST_FILE} has ${lines.length} damaged line(s): run the same \`${rerun}\` again: it fetches the books whose record they lost and records them on a new line; then nothing is lost and each damaged line is a note${unnamed}`);
    }
  } else {
    // A re-run fetches again an archived file that is missing (since session 14) and, where it sees
    // it, one not of its index line's size; damage made in place may escape it (a nothing-new run
    // compares counts and sizes, not hashes): for a corrupt file, delete it, then run again.
    // A folder's directory or index.jsonl gone or damaged (not a folder asked for that exists nowhere).
    const records = (p: VerifyProblem) => p.uid === undefined && (p.file === 'index.jsonl' || (p.file === undefined && p.reason !== 'no-folder'));
    const notArchived = r.missing.filter((p) => p.uid !== undefined && p.file === undefined).length;
    const lostFiles = r.missing.filter((p) => p.uid !== undefined && p.file !== undefined).length;
    const damaged = r.corrupt.filter((p) => p.uid !== undefined && !isDenied(p)).length;
    const folderRecords = [...r.missing, ...r.corrupt].filter(records).length;
    if (notArchived > 0) out.push(`to do: run the same \`${rerun}\` again: it fetches the ${notArchived} message(s) on the server not in the archive`);
    if (lostFiles > 0) out.push(`to do: run the same \`${rerun}\` again: it fetches the ${lostFiles} archived file(s) that are missing again, while the server still holds their messages (one it no longer holds cannot be restored)`);
    if (damaged > 0) out.push(`to do: ${damaged} archived file(s) are damaged: delete them, then run the same \`${rerun}\` again: it fetches them again, while the server still holds their messages (a re-run does not see every damage made in place, such as one that keeps the file's size and date: deleting it makes sure)`);
    if (folderRecords > 0) out.push(`to do: ${folderRecords} folder record(s) (a folder's directory, index.jsonl) are gone or damaged: run the same \`${rerun}\` again: a folder directory gone is fetched whole, files no index line names are taken back when whole at the server's size, else fetched again`);
  }
  if (r.extra.some(isLeftover)) out.push(`to do: the temp and partial files of a stopped run go away when \`${rerun}\` runs again`);
  return out;
}

/** The report for people: counts, then each problem (at most MAX_LINES_PER_KIND per kind), notes, and what to do. */
export function formatVerifyReport(r: VerifyReportWithNotes): string {
  const lines: string[] = [];
  const what = r.kind === 'mail' ? `${r.checked.files} files re-hashed, ${r.checked.serverMessages} server messages compared, ${r.checked.sampled} re-fetched` : `${r.checked.files} files re-hashed`;
  lines.push(`${r.ok ? 'OK' : 'PROBLEMS'}: ${what}; ${r.missing.length} missing, ${r.corrupt.length} corrupt, ${r.extra.length} extra`);
  for (const [kind, list] of [['missing', r.missing], ['corrupt', r.corrupt], ['extra', r.extra]] as const) {
    for (const p of list.slice(0, MAX_LINES_PER_KIND)) {
      const id = [p.uid !== undefined ? `UID ${p.uid}` : null, p.ebook !== undefined ? `ebook ${p.ebook}` : null, p.file ?? null].filter(Boolean).join(' ');
      lines.push(`${kind}: ${p.where}${id ? ` ${id}` : ''}: ${p.detail}`);
    }
    if (list.length > MAX_LINES_PER_KIND) lines.push(`${kind}: … ${list.length - MAX_LINES_PER_KIND} more (--json lists them all)`);
  }
  for (const n of r.notes ?? []) lines.push(`note: ${n.where}: ${n.detail}`);
  lines.push(...whatToDo(r));
  return `${lines.join('\n')}\n`;
}

/** Progress on stderr: a line redrawn in a terminal, one every few seconds otherwise. */
function progressPrinter(json: boolean): { onProgress(p: VerifyProgress): void; done(): void } {
  const tty = Boolean(process.stderr.isTTY);
  if (json && !tty) return { onProgress: () => {}, done: () => {} };
  let last = 0;
  let drawn = false;
  return {
    onProgress(p) {
      const now = Date.now();
      if (now - last < (tty ? 100 : 3000)) return;
      last = now;
      const text = `verify: ${p.phase} ${p.done}${p.total !== null ? `/${p.total}` : ''}`;
      if (tty) {
        process.stderr.write(`\r${text.padEnd(60)}`);
        drawn = true;
      } else process.stderr.write(`${text}\n`);
    },
    done() {
      if (drawn) process.stderr.write('\r'.padEnd(62) + '\r');
    },
  };
}

/**
 * Prints the report (or the error) and sets the exit code; returns the report, or null when verify
 * could not run. `print: false` prints nothing of a report (the caller prints it: --repair --json).
 */
async function report(run: (onProgress: (p: VerifyProgress) => void) => Promise<VerifyReportWithNotes>, json: boolean, print = true): Promise<VerifyReportWithNotes | null> {
  const progress = progressPrinter(json);
  let r: VerifyReportWithNotes;
  try {
    r = await run((p) => progress.onProgress(p));
  } catch (err) {
    progress.done();
    const e = toFanoutError(err);
    process.stderr.write(`error: ${e.message} [${e.code}]\n`);
    // Verify that could not run is not a report of problems: a script must tell the two apart.
    process.exitCode = e.code === 'BAD_INPUT' ? EXIT.badInput : EXIT.failures;
    return null;
  }
  progress.done();
  if (print) process.stdout.write(json ? `${JSON.stringify(r, null, 2)}\n` : formatVerifyReport(r));
  process.exitCode = r.ok ? EXIT.ok : EXIT.failures;
  return r;
}

/**
 * Why `out` holds no archive of the account (checked before connecting), or null. Before, such a
 * folder (the account's own folder, which `fanout mail` prints as its output, or a wrong one) was
 * compared with the server as an empty archive: every message "missing", and "run fanout mail again".
 */
async function archiveProblem(out: string, account: { user: string; host: string }): Promise<string | null> {
  const dir = accountDirOf(out, account);
  // An archive this user may not read is no sign of a wrong folder: its permissions are the fix.
  const denied = await access(dir, constants.R_OK | constants.X_OK).then(() => null, (err: NodeJS.ErrnoException) => (err.code === 'EACCES' || err.code === 'EPERM' ? err.code : null));
  if (denied) return `holds the archive folder ${dir}, which this user may not read (permission denied): fix its permissions, or run verify as the user who owns it`;
  if (await access(join(dir, 'folders.json')).then(() => true, () => false)) return null;
  // folders.json lost, the folders' directories kept: verify reads them back from their state.json
  // (as fanout mail does) and says itself when there is nothing to check against (BAD_INPUT).
  if ((await readdir(dir, { withFileTypes: true }).catch(() => [])).some((e) => e.isDirectory() && !e.name.startsWith('.'))) return null;
  const name = basename(dir);
  if (await isAccountArchiveFolder(out, account)) {
    return `is the account's archive folder itself; give the folder above it, the one given to \`fanout mail --out\`: ${dirname(resolve(out))}`;
  }
  return `holds no mail archive of ${name} (no ${name}/folders.json in it); give the folder given to \`fanout mail --out\``;
}

/**
 * Whether this user may not open `path` (EACCES, EPERM), from the error's code, not from the words
 * `checkInputFile` says it in. open() as that check does: root's access() says yes to everything.
 */
function openDenied(path: string): Promise<boolean> {
  return open(path, 'r').then(
    (h) => h.close().then(() => false),
    (err: NodeJS.ErrnoException) => err.code === 'EACCES' || err.code === 'EPERM',
  );
}

interface VerifyMailCliOptions extends AccountCliOptions {
  out: string;
  folders: string;
  sample: number;
  json?: boolean;
  repair?: boolean;
}

/** `fanout verify mail …` and `fanout verify corpus DIR`: is the archive / corpus what it claims? */
export function registerVerifyCommand(program: Command): void {
  const verify = program.command('verify').description('check an archive or corpus against its index (and the server): missing, corrupt and extra files');
  addAccountOptions(verify.command('mail').description('compare a mail archive with the server (every UID, its size; --sample N re-fetched) and with its index (every sha256)'))
    .requiredOption('--out <dir>', 'the output folder given to `fanout mail`')
    .option('--folders <list>', '"all", or folder paths separated by commas', 'all')
    .option('--sample <n>', 'messages to re-fetch and compare byte for byte', intOption(0, 1_000_000), 0)
    .option('--json', 'print the report as JSON on stdout')
    .option('--repair', 'then fetch again from the server the archived messages found missing from the disk or damaged, and verify again: a `fanout mail` run of the folders holding them, so mail new there since the last run is archived too (the second verify compares those folders whole with the server)')
    .action(async (o: VerifyMailCliOptions) => {
      const account = await accountFrom(o);
      const out = (await checkExistingFolder(o.out)) ?? (await archiveProblem(o.out, account));
      exitOnProblems(out ? [{ field: '--out', value: o.out, message: out }] : []);
      const folders = o.folders.trim().toLowerCase() === 'all' ? 'all' : o.folders.split(',').map((s) => s.trim()).filter(Boolean);
      // Loaded when verifying, not for `--help` (see commands.ts).
      const [{ verifyMailArchive }, { withFolderForVerify }] = await Promise.all([import('../engine/verify/verify-mail'), import('../engine/verify/verify-folder')]);
      // The account's folder, as `fanout mail` locks it: refused while a job writes it, kept still while verified.
      const run = (onProgress: (p: VerifyProgress) => void) => withFolderForVerify(accountDirOf(o.out, account), () => verifyMailArchive({ account, outDir: o.out, folders, sample: o.sample, timeoutMs: o.timeout }, { onProgress }));
      if (!o.repair) {
        await report(run, Boolean(o.json));
        return;
      }
      // --repair with --json: one JSON document on stdout, { before, after } (after null when no repair ran).
      const json = Boolean(o.json);
      const found = await report(run, json, !json);
      const printJson = (after: VerifyReportWithNotes | null) => {
        if (json && found) process.stdout.write(`${JSON.stringify({ before: found, after }, null, 2)}\n`);
      };
      if (!found || found.ok) {
        printJson(null);
        return;
      }
      // The files found missing or damaged, fetched again by a mail job of just those (the verify's
      // lock is released by now; the job takes the folder's own), then verified again.
      const [{ repairListOf }, { runMailJob }, { runJobInTerminal }, { MailJobSpecSchema }] = await Promise.all([
        import('../engine/mail/repair-list'),
        import('../engine/mail/run-mail-job'),
        import('./run-job-in-terminal'),
        import('../../shared/job-spec'),
      ]);
      const repair = repairListOf(found);
      const repairFolders = Object.keys(repair);
      if (repairFolders.length === 0) {
        // A message on the server not archived yet needs a plain `fanout mail`; an unreadable file, its permissions.
        process.stderr.write('repair: nothing verify found is an archived file to fetch again (see the report)\n');
        printJson(null);
        return;
      }
      process.stderr.write(`repair: fetching again ${Object.values(repair).reduce((n, l) => n + l.length, 0)} archived message(s) of ${repairFolders.length} folder(s), in a \`fanout mail\` run of those folders (new mail there is archived too)\n`);
      const spec = MailJobSpecSchema.parse({ kind: 'mail', account, folders: repairFolders, connections: 2, strategy: 'adaptive', outDir: o.out, timeoutMs: o.timeout });
      // Its summary goes to stderr (stdout holds the reports).
      await runJobInTerminal((control) => runMailJob(spec, control, { repair }), { json: false, itemNoun: 'messages' });
      if (process.exitCode === EXIT.cancelled) {
        printJson(null);
        return;
      }
      // The second report decides the exit code: 0 only when the archive is whole now.
      process.stderr.write('repair: verifying again\n');
      const after = await report(run, json, !json);
      printJson(after);
    });
  verify
    .command('corpus')
    .description("re-hash every manifest entry's raw and clean file of a `fanout gutenberg` output folder")
    .argument('<dir>', 'the output folder (holding manifest.jsonl)')
    .option('--json', 'print the report as JSON on stdout')
    .action(async (dir: string, o: { json?: boolean }) => {
      const folder = await checkExistingFolder(dir);
      const manifest = folder ? null : await checkInputFile(join(dir, 'manifest.jsonl'), { allowEmpty: true });
      // A manifest there that this user may not read is no sign of a wrong folder: its permissions are the fix.
      const denied = manifest !== null && (await openDenied(join(dir, 'manifest.jsonl')));
      const problem =
        folder ??
        (denied ? `its manifest.jsonl cannot be read by this user (permission denied): fix its permissions, or run verify as the user who owns it` : null) ??
        (manifest ? `has no readable manifest.jsonl (${manifest.split(';')[0]}): it is not the output folder of a \`fanout gutenberg\` run; give the folder given to its --out` : null);
      exitOnProblems(problem ? [{ field: dir, message: problem }] : []);
      const [{ verifyCorpus }, { withFolderForVerify }] = await Promise.all([import('../engine/verify/verify-corpus'), import('../engine/verify/verify-folder')]);
      // Refused while a job writes the folder (its half-written files would read as damage); a job is refused there while this runs.
      await report((onProgress) => withFolderForVerify(dir, () => verifyCorpus(dir, { onProgress })), Boolean(o.json));
    });
}
