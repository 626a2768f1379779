import { hashFile } from '../mail/message-file';

export type FileCheck = { state: 'ok' } | { state: 'missing' } | { state: 'corrupt'; detail: string };

/** Re-hashes `abs` and compares it with what was recorded (size, SHA-256). */
export async function checkFile(abs: string, size: number | null, sha256: string | null): Promise<FileCheck> {
  let got: { size: number; sha256: string };
  try {
    got = await hashFile(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    throw err;
  }
  if (size !== null && got.size !== size) return { state: 'corrupt', detail: `${got.size} bytes, recorded ${size}` };
  if (sha256 !== null && got.sha256 !== sha256) return { state: 'corrupt', detail: `sha256 ${got.sha256.slice(0, 12)}…, recorded ${sha256.slice(0, 12)}…` };
  return { state: 'ok' };
}
