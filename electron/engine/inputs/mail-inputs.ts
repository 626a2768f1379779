import { access } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { checkAutoWorkers } from '../../../shared/input-checks';
import { accountDirOf } from '../mail/folder-names';
import type { MailJobSpec } from '../../../shared/job-spec';
import { checkOutputFolder } from './file-checks';
import { checkAccountFolder } from './account-folder';
import type { InputCheck } from './job-inputs';

const exists = (p: string) => access(p).then(() => true, () => false);

/**
 * Whether `out` is the account's own archive folder (`<--out>/<user@host>`, named so and holding its
 * folders.json), given where the folder above it was meant: `fanout mail` prints that folder as its
 * output, so it is what a user copies. `fanout mail` and `fanout verify mail` both refuse it.
 */
export async function isAccountArchiveFolder(out: string, account: { user: string; host: string }): Promise<boolean> {
  const dir = resolve(out);
  return basename(dir) === basename(accountDirOf(dir, account)) && (await exists(join(dir, 'folders.json')));
}

/**
 * The account's own archive folder given as the output folder: a run there would make
 * `<it>/<user@host>/` inside it, a second archive, and fetch every message again. Refused unless
 * that inner folder exists already.
 */
async function accountFolderGiven(spec: MailJobSpec): Promise<string | null> {
  const out = resolve(spec.outDir);
  const name = basename(accountDirOf(out, spec.account));
  if (!(await isAccountArchiveFolder(out, spec.account)) || (await exists(join(out, name)))) return null;
  return `is the archive folder of ${name} itself (it holds folders.json); give the folder above it, ${dirname(out)}: a run here would start a second archive inside it and fetch every message again`;
}

/** The mail job's inputs that can be checked before connecting, beyond its schema (which checks the host name): auto needs queue/adaptive, the output folder and the account's folder in it. */
export async function checkMailInputs(spec: MailJobSpec): Promise<InputCheck> {
  const out: InputCheck = { problems: [], warnings: [] };
  const auto = checkAutoWorkers(spec.autoWorkers, spec.strategy, 'messages');
  if (auto) out.problems.push({ field: 'strategy', value: spec.strategy, message: auto });
  const folder = (await checkOutputFolder(spec.outDir)) ?? (await accountFolderGiven(spec)) ?? (await checkAccountFolder(spec.outDir, spec.account));
  if (folder) out.problems.push({ field: 'outDir', value: spec.outDir, message: folder });
  return out;
}
