import type { MadeVerifyReason } from '../../../shared/verify-report';
import { hashFile } from '../mail/message-file';
import { errnoCode } from '../output/storage-fault';

export type FileCheck = { state: 'ok' } | { state: 'missing' } | { state: 'corrupt'; reason: MadeVerifyReason; detail: string };

/** The reason of a path that could not be read (`unreadableDetail` says it for people): no permission is `denied` (it may be whole), anything else `unreadable`. */
export function unreadableReason(err: unknown): 'denied' | 'unreadable' {
  const code = errnoCode(err);
  return code === 'EACCES' || code === 'EPERM' ? 'denied' : 'unreadable';
}

/**
 * Why a path that should be a readable file could not be read, for a report: a directory in its
 * place, no permission, or the error's own words (never thrown on: one unreadable file is one
 * problem of the report, not the end of the check).
 */
export function unreadableDetail(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'EISDIR') return 'a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return `cannot be read: no permission (${code})`;
  return `cannot be read: ${code ?? (err as Error)?.message ?? String(err)}`;
}

/** Re-hashes `abs` and compares it with what was recorded (size, SHA-256). */
export async function checkFile(abs: string, size: number | null, sha256: string | null): Promise<FileCheck> {
  let got: { size: number; sha256: string };
  try {
    got = await hashFile(abs);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { state: 'missing' };
    return { state: 'corrupt', reason: unreadableReason(err), detail: unreadableDetail(err) };
  }
  if (size !== null && got.size !== size) return { state: 'corrupt', reason: 'size', detail: `${got.size} bytes, recorded ${size}` };
  if (sha256 !== null && got.sha256 !== sha256) return { state: 'corrupt', reason: 'hash', detail: `sha256 ${got.sha256.slice(0, 12)}…, recorded ${sha256.slice(0, 12)}…` };
  return { state: 'ok' };
}
