import type { VerifyProblem } from '../../../shared/verify-report';
import type { ArchivedFile } from './plan-folder';

/** What `fanout verify mail` says of a file this user may not read (verify/check-file.ts `unreadableDetail`): maybe whole, not to fetch over. */
const NO_PERMISSION = /^cannot be read: no permission \(E(ACCES|PERM)\)/;

/** A directory no record names (verify-mail.ts `unnamedWhere`): no folder of the server to fetch from. */
const NOT_RECORDED = /\/ \(folder not recorded\)$/;

/**
 * The archived messages a verify report found missing from the disk or damaged, by folder path, as
 * `runMailJob`'s `repair` takes them (`fanout verify mail --repair`): each problem naming a UID and
 * its file, but a file this user may not read (its permissions are the fix, not a fetch over it) and
 * one in a directory no record names (no folder to fetch it from).
 * A message on the server not archived yet (a UID without a file) needs no repair: any run fetches it.
 */
export function repairListOf(report: { missing: readonly VerifyProblem[]; corrupt: readonly VerifyProblem[] }): Record<string, ArchivedFile[]> {
  const out: Record<string, ArchivedFile[]> = {};
  for (const p of [...report.missing, ...report.corrupt]) {
    if (p.uid === undefined || p.file === undefined || NO_PERMISSION.test(p.detail) || NOT_RECORDED.test(p.where)) continue;
    const list = (out[p.where] ??= []);
    if (!list.some((f) => f.uid === p.uid && f.file === p.file)) list.push({ uid: p.uid, file: p.file });
  }
  return out;
}
