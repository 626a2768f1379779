import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JobFatalCheck } from '../core/job-fatal';
import { FanoutError, isAbortError } from '../core/fanout-error';
import { bookDir } from '../mirror/mirror-layout';
import { parseFolderIndex } from '../mirror/listing-parsers';
import type { Mirror, MirrorSession } from '../mirror/types';
import { redactUrl } from '../../../shared/input-checks';

/** Books missing, none served, before the root is looked at (fewer when the selection is smaller). */
export const MISSING_BEFORE_CHECK = 3;

/** A folder name of a Gutenberg mirror's root: every book lives under a digit folder (`bookDir`), or (HTTP) under `cache/`. */
const LAYOUT = /^[0-9]$/;

/** What the root of the mirror URL shows. */
export type RootVerdict =
  /** The Gutenberg layout is there (or it could not be told: an error, no listing): never stop for it. */
  | { kind: 'mirror' | 'unknown' }
  /** Certainly no book can be there: `why` for people, `suggest` the folder to try, relative to the root (`gutenberg/`, `../`). */
  | { kind: 'not-a-mirror'; why: string; suggest: string | null };

/**
 * The verdict from a listing of the root's names (folders with a trailing slash or not): no
 * top-level digit folder (nor `cache/` over HTTP) is no Gutenberg mirror; a `gutenberg` folder in it
 * is suggested (the usual layout of a site holding a mirror, `…/pub/docs/books/gutenberg/`).
 */
export function verdictOfListing(names: readonly string[], http: boolean): RootVerdict {
  const plain = names.map((n) => n.replace(/\/+$/, ''));
  if (plain.some((n) => LAYOUT.test(n) || (http && n === 'cache'))) return { kind: 'mirror' };
  const sub = plain.find((n) => /gutenberg/i.test(n));
  const shown = plain.slice(0, 8).join(', ') + (plain.length > 8 ? ', …' : '');
  return { kind: 'not-a-mirror', why: `its listing has no folder 0/ to 9/${http ? ' nor cache/' : ''}${plain.length > 0 ? ` (it holds ${shown})` : ' (it is empty)'}`, suggest: sub === undefined ? null : `${encodeURIComponent(sub)}/` };
}

/**
 * A wrong mirror root (a URL of a folder that is not a Gutenberg mirror, or of none at all: every
 * book BOOK_NOT_FOUND) failed book by book through the whole selection. Once the first books tried
 * (`MISSING_BEFORE_CHECK`, or all of a smaller selection) are all missing and none was served, the
 * root is looked at once (`probe`: its listing, one request or one LIST); when it certainly holds no
 * Gutenberg layout the job stops (the pool's `isJobFatal`) with one error naming the URL, and the
 * path to try when the listing shows a `gutenberg` folder. A real mirror's root lists its digit
 * folders: it is never stopped for books it lacks, whichever answers come first; a root that cannot
 * be listed (no index, an error) is not stopped either.
 */
export class WrongRoot {
  readonly #missing = new Set<number>();
  #served = false;
  #verdict: Promise<RootVerdict> | null = null;
  #known: RootVerdict | null = null;
  #stopped = false;

  constructor(
    /** Books in the selection (the first few missing are enough when it is smaller). */
    private readonly total: number,
    /** Bytes of books received so far: a book under way is served. */
    private readonly bytesDone: () => number,
    /** Looks at the root once; `missing` are the books found missing so far, `session` the worker's whose try found the last (idle while it waits). */
    private readonly probe: (signal: AbortSignal, missing: readonly number[], session: MirrorSession) => Promise<RootVerdict>,
  ) {}

  /**
   * One try of `ebooks` (a book, or a batch: `errorsOf` gives each book's error, null for fetched).
   * A book found missing once the first few are waits for the root's verdict before its failure
   * counts, so that `check` can stop the job on it. `session` is the worker's that tried (the FTP
   * probe lists on it).
   */
  async track<T>(ebooks: readonly number[], signal: AbortSignal, fetch: () => Promise<T>, errorsOf: ((result: T) => ReadonlyArray<FanoutError | null>) | undefined, session: MirrorSession): Promise<T> {
    let result: T;
    try {
      result = await fetch();
    } catch (raw) {
      if (raw instanceof FanoutError) await this.#outcomes(ebooks.map(() => raw), ebooks, signal, session);
      throw raw;
    }
    await this.#outcomes(errorsOf?.(result) ?? ebooks.map(() => null), ebooks, signal, session);
    return result;
  }

  async #outcomes(errors: ReadonlyArray<FanoutError | null>, ebooks: readonly number[], signal: AbortSignal, session: MirrorSession): Promise<void> {
    let missing = false;
    ebooks.forEach((ebook, i) => {
      const err = errors[i];
      if (!err) this.#served = true;
      else if (err.code === 'BOOK_NOT_FOUND') {
        this.#missing.add(ebook);
        missing = true;
      }
    });
    if (!missing || !this.#mayStop() || this.#missing.size < Math.min(MISSING_BEFORE_CHECK, Math.max(1, this.total))) return;
    this.#verdict ??= this.probe(signal, [...this.#missing], session).catch((): RootVerdict => ({ kind: 'unknown' }));
    this.#known = await this.#verdict;
  }

  #mayStop(): boolean {
    return !this.#served && this.bytesDone() === 0;
  }

  /** The job's `isJobFatal` part: a missing book once the root showed no Gutenberg layout and nothing was served. */
  readonly check: JobFatalCheck = (err) => {
    if (err.code !== 'BOOK_NOT_FOUND' || this.#known?.kind !== 'not-a-mirror') return false;
    if (!this.#stopped && !this.#mayStop()) return false;
    this.#stopped = true;
    return true;
  };

  /** Whether `err` is what stopped the job here. */
  stopped(err: unknown): err is FanoutError {
    return this.#stopped && err instanceof FanoutError && err.code === 'BOOK_NOT_FOUND';
  }

  /** The job's one error: the URL, why it is no mirror root, and the path to try (BAD_INPUT: the URL given is wrong). */
  stopError(err: FanoutError, url: string): FanoutError {
    const v = this.#known as Extract<RootVerdict, { kind: 'not-a-mirror' }>;
    const shown = redactUrl(url);
    const message =
      `${shown} does not look like a Gutenberg mirror root: the first ${this.#missing.size} book(s) asked for are not there and ${v.why}` +
      `${v.suggest ? `; try ${redactUrl(new URL(v.suggest, url.endsWith('/') ? url : `${url}/`).href)}` : '; give the folder that holds the folders 0/ to 9/ (e.g. …/gutenberg/)'}. ` +
      'The job stopped; the books not fetched stay pending for a re-run.';
    const { ebook: _ebook, path: _path, ...context } = err.context;
    return new FanoutError('BAD_INPUT', message, context, { cause: err });
  }
}

/**
 * A folder as the probe sees it, by its path relative to the root (`''` the root, `'../'` its parent,
 * `'3/'`): its entries (a folder's name ends in `/`), a page that is no folder index (the names it
 * links), no such folder (the server's words), a refusal to list it (HTTP 403), or null (cannot tell).
 */
type Folder = { entries: string[] } | { page: string[] } | { missing: string } | { forbidden: string } | null;

/** Lists folders of one mirror URL for one probe (one session, or one FTP login, for all of them). */
interface FolderLister {
  list(rel: string, signal: AbortSignal): Promise<Folder>;
  close(): Promise<void>;
}

/**
 * An FTP session that lists folders on its own login (`FtpSession.listFolderNames`: CWD, 550 → null,
 * then LIST; a folder's name ending in `/`). The probe makes no login of its own: a server whose
 * per-address limit the job's workers fill (vsftpd `max_per_ip`) refused one, and the wrong root
 * went unjudged; the session's own TLS and proxy (SOCKS too) are the job's.
 */
interface ListingSession {
  listFolderNames(relDir: string, signal?: AbortSignal): Promise<string[] | null>;
}

function listsFolders(session: MirrorSession): session is MirrorSession & ListingSession {
  return typeof (session as Partial<ListingSession>).listFolderNames === 'function';
}

/**
 * The root's verdict: HTTP, folder indexes through a session of the job's mirror (its TLS, proxy);
 * FTP, `CWD` (550: no such folder) and `LIST` on `session`, the worker's that found the books
 * missing (every FTP session of this build lists folders; one that does not is `unknown`). From what
 * the root shows (`judgeRoot`). Anything it cannot tell from (an error) is `unknown`: the job goes
 * on as before.
 */
export async function probeMirrorRoot(mirror: Mirror, url: string, signal: AbortSignal, missing: readonly number[], session: MirrorSession): Promise<RootVerdict> {
  const http = mirror.protocol === 'http' || mirror.protocol === 'https';
  if (!http && !listsFolders(session)) return { kind: 'unknown' };
  const lister = http ? await httpLister(mirror) : sessionLister(session as ListingSession);
  try {
    return await judgeRoot(lister, url, http, missing, signal);
  } catch (err) {
    if (isAbortError(err)) throw err;
    return { kind: 'unknown' };
  } finally {
    await lister.close().catch(() => {});
  }
}

/** Path segments of the URL's folder, decoded. */
function segmentsOf(url: string): string[] {
  return new URL(url).pathname.split('/').filter(Boolean).map(safeDecode);
}

/**
 * What the root shows, step by step:
 * - its listing with no digit folder (nor `cache/` over HTTP): not a mirror; a `gutenberg` folder in
 *   it is suggested, or the folder above when that one is a mirror (a sub-folder of one: `…/gutenberg/etext04/`);
 * - a URL ending in number folders whose listing holds only number folders (`…/gutenberg/1/`: a folder
 *   inside the layout, one level or more too deep) while the folder above them lists as a mirror:
 *   not a mirror, that folder suggested (a real root also holds `cache/`, `GUTINDEX.ALL`, …);
 * - FTP 550 to CWD: no such folder (or not readable by this login);
 * - HTTP 404: no such folder only when the parent's index does not list it (static hosts answer 404
 *   for any folder without an index page: `rootNotFound`);
 * - HTTP 403 (a folder index turned off, as nginx and Apache answer for a folder that is there): the
 *   top folders of the missing books (`3/` for ebook 3000) asked the same way; each 404 where the
 *   root was 403 says the server tells a folder that is there from one that is not, and they are not
 *   (a real mirror's `3/` answers 403 too). Anything else: `unknown`.
 */
async function judgeRoot(lister: FolderLister, url: string, http: boolean, missing: readonly number[], signal: AbortSignal): Promise<RootVerdict> {
  const root = await lister.list('', signal);
  if (root === null) return { kind: 'unknown' };
  if ('page' in root) return root.page.some((n) => LAYOUT.test(n.replace(/\/+$/, ''))) ? { kind: 'mirror' } : { kind: 'unknown' };
  if ('missing' in root) {
    if (!http) return { kind: 'not-a-mirror', why: `the server will not enter that folder (${root.missing}: it is not there, or this login may not read it)`, suggest: null };
    return rootNotFound(lister, url, signal);
  }
  if ('forbidden' in root) return forbiddenRoot(lister, root.forbidden, missing, signal);
  const verdict = verdictOfListing(root.entries, http);
  if (verdict.kind === 'mirror') return tooDeep(lister, url, root.entries, http, signal);
  if (verdict.kind === 'not-a-mirror' && verdict.suggest === null && segmentsOf(url).length > 0) {
    const parent = await lister.list('../', signal);
    if (parent !== null && 'entries' in parent && verdictOfListing(parent.entries, http).kind === 'mirror') {
      return { kind: 'not-a-mirror', why: `${verdict.why}; the folder above it holds the folders 0/ to 9/`, suggest: '../' };
    }
  }
  return verdict;
}

/** A mirror-like listing at a URL ending in number folders: the folder above them, when it lists as a mirror and this one holds number folders only. */
async function tooDeep(lister: FolderLister, url: string, entries: readonly string[], http: boolean, signal: AbortSignal): Promise<RootVerdict> {
  const segments = segmentsOf(url);
  let depth = 0;
  while (depth < segments.length && /^\d+$/.test(segments[segments.length - 1 - depth]!)) depth++;
  if (depth === 0 || !entries.every((n) => /^\d+\/$/.test(n))) return { kind: 'mirror' };
  const up = '../'.repeat(depth);
  const above = await lister.list(up, signal);
  if (above === null || !('entries' in above) || verdictOfListing(above.entries, http).kind !== 'mirror') return { kind: 'mirror' };
  const shown = entries.slice(0, 8).join(', ') + (entries.length > 8 ? ', …' : '');
  return {
    kind: 'not-a-mirror',
    why: `it is a folder inside a mirror's layout (it holds only numbered folders: ${shown}), and the folder ${depth === 1 ? 'above it' : `${depth} levels up`} holds the folders 0/ to 9/`,
    suggest: up,
  };
}

/** The root answered 403 (no folder index): the missing books' top folders, asked the same way. */
async function forbiddenRoot(lister: FolderLister, refusal: string, missing: readonly number[], signal: AbortSignal): Promise<RootVerdict> {
  const tops = [...new Set(missing.map((e) => bookDir(e).split('/')[0]!))];
  if (tops.length === 0) return { kind: 'unknown' };
  const absent: string[] = [];
  for (const top of tops) {
    const folder = await lister.list(`${top}/`, signal);
    if (folder === null || !('missing' in folder)) return folder !== null && ('forbidden' in folder || 'entries' in folder) ? { kind: 'mirror' } : { kind: 'unknown' };
    absent.push(`${top}/ (${folder.missing})`);
  }
  return {
    kind: 'not-a-mirror',
    why: `the server will not list it (${refusal}), and the folder${absent.length === 1 ? '' : 's'} where a mirror keeps the books asked for ${absent.length === 1 ? 'is' : 'are'} not there: ${absent.join(', ')}`,
    suggest: null,
  };
}

/** A folder index page's names (a folder's ending in `/`), or null when the page is no folder index (a site's home page). */
function folderIndexNames(body: string): string[] | null {
  const entries = parseFolderIndex(body);
  if (entries.length === 0 || !/Index of|autoindex|^\s*\[/i.test(body)) return null;
  return entries.map((e) => (e.isDir && !e.name.endsWith('/') ? `${e.name}/` : e.name));
}

async function httpLister(mirror: Mirror): Promise<FolderLister> {
  const session = mirror.openSession(-1);
  const dir = await mkdtemp(path.join(tmpdir(), 'fanout-root-'));
  let n = 0;
  return {
    async list(rel, signal) {
      const dest = path.join(dir, `index-${n++}`);
      try {
        // The session's paths are `<root>/<relPath>`: '../' is the parent folder (the URL parser resolves it).
        await session.fetchFile(rel, { dest, signal });
      } catch (err) {
        if (isAbortError(err)) throw err;
        // Told by the status the error carries (http-file-response.ts), never by its words.
        const status = err instanceof FanoutError ? err.detail.httpStatus : undefined;
        if (status === 403) return { forbidden: 'HTTP 403' };
        if (status === 404 || status === 410) return { missing: `HTTP ${status}` };
        return null;
      }
      const body = await readFile(dest, 'utf8');
      const names = folderIndexNames(body);
      return names === null ? { page: parseFolderIndex(body).map((e) => e.name) } : { entries: names };
    },
    async close() {
      await session.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The root folder's URL answered 404. Many hosts answer 404 for a folder without an index page while
 * they serve every file in it (S3/GCS static websites, Caddy without `browse`, object-store CDNs): a
 * real mirror there is not stopped. Only a host shown to list folders tells: the parent's folder index,
 * without the root's name in it, says the folder is not there. Anything else (no parent, the parent
 * 404 or no index, the root's name listed) is `unknown`.
 */
async function rootNotFound(lister: FolderLister, url: string, signal: AbortSignal): Promise<RootVerdict> {
  const name = segmentsOf(url).at(-1);
  if (name === undefined) return { kind: 'unknown' };
  const parent = await lister.list('../', signal);
  if (parent === null || !('entries' in parent)) return { kind: 'unknown' };
  if (parent.entries.some((n) => safeDecode(n.replace(/\/+$/, '')) === name)) return { kind: 'unknown' };
  return { kind: 'not-a-mirror', why: 'that folder is not on the server (HTTP 404, and the folder index of its parent does not list it)', suggest: null };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Folders listed on the worker's own FTP session (left open: it is the worker's); the folder is named by the stop's message (the URL). */
function sessionLister(session: ListingSession): FolderLister {
  return {
    async list(rel, signal) {
      try {
        const names = await session.listFolderNames(rel, signal);
        return names === null ? { missing: 'FTP 550 to CWD' } : { entries: names };
      } catch (err) {
        if (isAbortError(err) || signal.aborted) throw err;
        return null;
      }
    },
    async close() {},
  };
}
