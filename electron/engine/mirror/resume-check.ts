import type { IncomingHttpHeaders } from 'node:http';
import type { PartMeta } from './part-meta';

/**
 * Whether a kept `.part` may be continued: the remote file must still be the one the part was
 * started from, or the resumed file would be two versions spliced together. Pure functions.
 */

/**
 * FTP, before any MDTM: why the kept part (`partBytes`) cannot be continued onto the remote file the
 * listing now gives with `size` bytes, or null when it may be, once `ftpResumeMismatch` compares the
 * times. The part must provably belong to that file: its `.part.meta` must have recorded, when it was
 * started, the same size and the file's modification time to the second (`mdtm:`, from MDTM). A
 * listing's date (`list:`) has minute resolution (a year only, past six months): a same-size rewrite
 * within it looks unchanged, so a meta with only that date is restarted, never resumed. Anything
 * unknown (no meta, no size, no precise time) restarts the file: resuming onto another file would
 * splice two files together.
 */
export function ftpResumeCandidate(partBytes: number, kept: PartMeta | null, size: number | null): string | null {
  if (size === null) return 'the server gives no size to check the part against';
  if (partBytes > size) return `the part (${partBytes} bytes) is larger than the remote file (${size} bytes)`;
  if (!kept) return 'nothing records which remote file the part was started from';
  if (kept.size !== size) return `the remote file changed size (${kept.size ?? 'unknown'} → ${size} bytes)`;
  if (!kept.modified?.startsWith('mdtm:')) return 'no modification time to the second (MDTM) was recorded when the part was started';
  return null;
}

/**
 * FTP: why the kept part cannot be continued (null when it can): `ftpResumeCandidate`, and the MDTM
 * the server gives now (`mdtm`, asked right before the resume; null when refused) must be the one
 * recorded. A server that refuses MDTM gets the whole file again.
 */
export function ftpResumeMismatch(partBytes: number, kept: PartMeta | null, size: number | null, mdtm: string | null): string | null {
  const why = ftpResumeCandidate(partBytes, kept, size);
  if (why !== null) return why;
  if (!mdtm?.startsWith('mdtm:')) return 'the server gives no modification time to the second (MDTM) to check the part against';
  if (kept!.modified !== mdtm) return `the remote file changed (${kept!.modified} → ${mdtm})`;
  return null;
}

/**
 * HTTP: why a kept part may not be resumed at all (null when it may), before any request: as for
 * FTP, the part must provably belong to the remote file. It is resumed only with a validator the
 * server checks, `If-Range` (a strong ETag, or a Last-Modified that was a strong validator, recorded
 * when the part was started): a changed file then comes back whole (200). With no `.part.meta` (a
 * crash before it was written, another tool's or an older version's file, a damaged meta), or a
 * meta recording only the size (a server that sent no ETag and a date too recent to be strong),
 * a bare `Range` would be answered 206 from whatever the file is now, and a same-size change would
 * be spliced to the part and recorded ok: the whole file is asked for instead.
 */
export function httpResumeMismatch(kept: PartMeta | null): string | null {
  if (!kept) return 'nothing records which remote file the part was started from';
  if (!kept.etag && !kept.lastModified) return 'no ETag or Last-Modified was recorded for If-Range to check the part against';
  return null;
}

/** HTTP: `Range` to resume at `startAt`, with `If-Range` when the kept part has a validator (only for a part `httpResumeMismatch` allows). */
export function resumeHeaders(startAt: number, kept: PartMeta | null): Record<string, string> {
  if (startAt <= 0) return {};
  const headers: Record<string, string> = { Range: `bytes=${startAt}-` };
  const validator = kept?.etag ?? kept?.lastModified;
  if (validator) headers['If-Range'] = validator;
  return headers;
}

/**
 * HTTP: what to record about the remote file from the headers of a whole-file response: its size,
 * its ETag when strong (a weak `W/` tag may not be used in If-Range), its Last-Modified when that
 * is a strong validator (RFC 9110 §8.8.2.2: the response's Date is at least a second later).
 */
export function metaFromHeaders(headers: IncomingHttpHeaders, size: number | null): PartMeta {
  const meta: PartMeta = { size };
  const etag = one(headers.etag);
  if (etag && /^"[^"]{0,1000}"$/.test(etag)) meta.etag = etag;
  const lastModified = one(headers['last-modified']);
  const modified = Date.parse(lastModified ?? '');
  const date = Date.parse(one(headers.date) ?? '');
  if (lastModified && !Number.isNaN(modified) && !Number.isNaN(date) && date - modified >= 1000) meta.lastModified = lastModified;
  return meta;
}

export interface ContentRange {
  start: number;
  end: number;
  /** Size of the whole file; null for `*`. */
  total: number | null;
}

/** `bytes 100-199/200` (or `/*`) → its numbers; null when it is not that form. */
export function parseContentRange(value: string | undefined): ContentRange | null {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec((value ?? '').trim());
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
}

/**
 * HTTP: why a `206` to a resume at `startAt` cannot be appended to the kept part (null when it can):
 * a range that does not start there, or signs the file changed, for a server that ignores If-Range:
 * another total size, or the 206 not showing the validator recorded when the part was started (its
 * ETag, else its Last-Modified; a 206 showing none is not taken either: nothing tells it is the same file).
 */
export function partialMismatch(headers: IncomingHttpHeaders, startAt: number, kept: PartMeta | null): string | null {
  const range = parseContentRange(one(headers['content-range']));
  if (!range || range.start !== startAt) return `the server sent range ${one(headers['content-range']) ?? '(none)'}, not bytes ${startAt}-`;
  if (kept && kept.size !== null && range.total !== null && range.total !== kept.size) {
    return `the remote file changed size (${kept.size} → ${range.total} bytes)`;
  }
  if (kept?.etag) {
    const etag = one(headers.etag);
    if (etag !== kept.etag) return etag ? `the remote file changed (ETag ${kept.etag} → ${etag})` : 'the 206 shows no ETag to check the part against';
    return null;
  }
  if (kept?.lastModified) {
    const lastModified = one(headers['last-modified']);
    if (lastModified !== kept.lastModified) return lastModified ? `the remote file changed (Last-Modified ${kept.lastModified} → ${lastModified})` : 'the 206 shows no Last-Modified to check the part against';
    return null;
  }
  return 'nothing recorded about the remote file to check the 206 against';
}

function one(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}
