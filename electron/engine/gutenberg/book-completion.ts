import { join } from 'node:path';
import { digestFile } from '../output/file-digest';
import type { ManifestEntry } from './manifest-entry';

/**
 * A book counts as finished only if the manifest says so AND both files on disk still match the
 * recorded size and sha256: a re-run then skips it; anything else (deleted, truncated, edited) is
 * fetched again.
 */
export async function isBookComplete(outDir: string, entry: ManifestEntry | undefined): Promise<boolean> {
  if (!entry || entry.status !== 'ok' || !entry.rawFile || !entry.cleanFile) return false;
  const [raw, clean] = await Promise.all([digestFile(join(outDir, entry.rawFile)), digestFile(join(outDir, entry.cleanFile))]);
  return (
    raw !== null && clean !== null &&
    raw.bytes === entry.rawBytes && raw.sha256 === entry.rawSha256 &&
    clean.bytes === entry.cleanBytes && clean.sha256 === entry.cleanSha256
  );
}
