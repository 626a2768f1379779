import { readFile, unlink, writeFile } from 'node:fs/promises';

/**
 * What the server said about the remote file when a `.part` was started, kept next to it as
 * `<part>.meta` (small JSON) so a later attempt, even after a restart of the app, can tell whether
 * the remote file is still the same one before appending to the `.part`:
 *
 * - FTP compares `size` with the listing's now and `modified` with `MDTM` now: a part is continued
 *   only when the size matches and `modified` is an MDTM time (`mdtm:`, seconds) that still matches
 *   (a listing's date, `list:`, minute resolution, is kept for the record but allows no resume).
 * - HTTP sends `If-Range` with `etag` (strong only) or `lastModified` (only when it is a strong
 *   validator) and checks the total of the `206` against `size` and its ETag (else Last-Modified)
 *   against the recorded one; a meta with neither validator (a size alone) is never resumed onto.
 *
 * A missing or unreadable meta is not an error: the caller falls back to the checks it can make.
 */
export interface PartMeta {
  /** Size of the whole remote file in bytes, when the server said. */
  size: number | null;
  /** Strong entity tag of the remote file (`"abc"`, never `W/"abc"`). */
  etag?: string;
  /** `Last-Modified` of the remote file, kept only when it is a strong validator. */
  lastModified?: string;
  /** FTP: the remote file's modification time as the server gave it (`list:Nov 21 20:28`, `mdtm:20241121202800`). */
  modified?: string;
}

/** A meta file larger than this is not ours (or damaged): ignored. */
const MAX_META_BYTES = 4096;

export function partMetaPath(partPath: string): string {
  return `${partPath}.meta`;
}

/** The meta of `partPath`, or null when there is none or it is not valid. */
export async function readPartMeta(partPath: string): Promise<PartMeta | null> {
  const raw = await readFile(partMetaPath(partPath)).catch(() => null);
  if (!raw || raw.length > MAX_META_BYTES) return null;
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const size = o.size === null || (Number.isSafeInteger(o.size) && (o.size as number) >= 0) ? (o.size as number | null) : undefined;
  if (size === undefined) return null;
  const meta: PartMeta = { size };
  if (typeof o.etag === 'string' && o.etag.length <= 1024) meta.etag = o.etag;
  if (typeof o.lastModified === 'string' && o.lastModified.length <= 100) meta.lastModified = o.lastModified;
  if (typeof o.modified === 'string' && o.modified.length <= 100) meta.modified = o.modified;
  return meta;
}

/**
 * Not through the atomic module, on purpose: the meta only ever permits a resume, so a torn or
 * missing one (a crash mid-write) reads as null and the `.part` is restarted, never resumed onto.
 */
export async function writePartMeta(partPath: string, meta: PartMeta): Promise<void> {
  await writeFile(partMetaPath(partPath), JSON.stringify(meta));
}

export async function removePartMeta(partPath: string): Promise<void> {
  await unlink(partMetaPath(partPath)).catch(() => {});
}
