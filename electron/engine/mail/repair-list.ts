import type { VerifyProblem, VerifyReason } from '../../../shared/verify-report';
import type { ArchivedFile } from './plan-folder';

/**
 * The reasons a file is fetched over (verify/check-file.ts, verify-mail.ts set them): gone, not its
 * size, not its bytes, or unreadable otherwise than for want of permission (an I/O error; a directory
 * in its place is refused by the write, naming it). Not `denied` (another user's file may be whole:
 * its permissions are the fix), not `unrecorded` (a directory no record names: no server folder to
 * fetch from), and not `unknown` (a report from another build: never fetched over).
 */
const REPAIRABLE: ReadonlySet<VerifyReason> = new Set(['missing', 'size', 'hash', 'unreadable']);

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
    if (p.uid === undefined || p.file === undefined || !REPAIRABLE.has(p.reason)) continue;
    const list = (out[p.where] ??= []);
    if (!list.some((f) => f.uid === p.uid && f.file === p.file)) list.push({ uid: p.uid, file: p.file });
  }
  return out;
}
