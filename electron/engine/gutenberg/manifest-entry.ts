import type { FanoutErrorCode } from '../../../shared/errors';

/** One line of `<out>/manifest.jsonl`: what happened to one book. Paths are relative to the output folder. */
export interface ManifestEntry {
  ebook: number;
  title: string;
  author: string;
  language: string;
  status: 'ok' | 'failed';
  /** URL of the remote file chosen. */
  sourceUrl: string | null;
  /** Remote file name chosen, e.g. `1342-0.txt` or `1342-8.zip`. */
  remoteName: string | null;
  /** Encoding detected by the scrubber (`utf-8`, `utf-8-bom`, `latin-1`...). */
  encoding: string | null;
  rawFile: string | null;
  cleanFile: string | null;
  rawBytes: number | null;
  cleanBytes: number | null;
  rawSha256: string | null;
  cleanSha256: string | null;
  /**
   * Modification times of the two files as written (ms, rounded): with the sizes, the quick check
   * of a re-run (`book-completion.ts`). Absent in manifests written before they were recorded.
   */
  rawMtimeMs?: number | null;
  cleanMtimeMs?: number | null;
  /** Licence markers found; a book with neither is kept whole and flagged. */
  startMarker: boolean | null;
  endMarker: boolean | null;
  warnings: string[];
  errorCode: FanoutErrorCode | null;
  error: string | null;
  /** Milliseconds: download (find + transfer), scrub (in the pool, including its queue wait), total. */
  downloadMs: number | null;
  scrubMs: number | null;
  finishedAt: string;
}

/**
 * Why a parsed manifest line is not a book's record, or null when it is one. A line `status: ok`
 * must name both files and their sizes (every line this program writes ok does): without them
 * the book could be neither skipped by a re-run nor checked by `fanout verify corpus`.
 */
export function manifestRecordProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is JSON but not a book record';
  const e = value as Partial<ManifestEntry>;
  if (typeof e.ebook !== 'number' || !Number.isSafeInteger(e.ebook) || e.ebook < 1) return 'is JSON but has no ebook number';
  if (e.status !== 'ok' && e.status !== 'failed') return 'has no status (ok or failed)';
  if (e.status === 'ok' && (typeof e.rawFile !== 'string' || typeof e.cleanFile !== 'string' || typeof e.rawBytes !== 'number' || typeof e.cleanBytes !== 'number')) {
    return 'is recorded ok but does not name its raw and clean files and their sizes';
  }
  return null;
}
