import { hashFile } from '../mail/message-file';
import { errnoCode } from '../output/storage-fault';

export type FileCheck = { state: 'ok' } | { state: 'missing' } | { state: 'corrupt'; detail: string };

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
    return { state: 'corrupt', detail: unreadableDetail(err) };
  }
  if (size !== null && got.size !== size) return { state: 'corrupt', detail: `${got.size} bytes, recorded ${size}` };
  if (sha256 !== null && got.sha256 !== sha256) return { state: 'corrupt', detail: `sha256 ${got.sha256.slice(0, 12)}…, recorded ${sha256.slice(0, 12)}…` };
  return { state: 'ok' };
}
