import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JobFatalCheck } from '../core/job-fatal';
import { FanoutError, isAbortError } from '../core/fanout-error';
import { parseFolderIndex } from '../mirror/listing-parsers';
import { tlsTrust } from '../mirror/tls-trust';
import type { Mirror, OpenMirrorOptions } from '../mirror/types';
import { redactUrl } from '../../../shared/input-checks';

/** Books missing, none served, before the root is looked at (fewer when the selection is smaller). */
export const MISSING_BEFORE_CHECK = 3;

/** A folder name of a Gutenberg mirror's root: every book lives under a digit folder (`bookDir`), or (HTTP) under `cache/`. */
const LAYOUT = /^[0-9]$/;

/** What the root of the mirror URL shows. */
export type RootVerdict =
  /** The Gutenberg layout is there (or it could not be told: an error, no listing): never stop for it. */
  | { kind: 'mirror' | 'unknown' }
  /** Certainly no book can be there: `why` for people, `suggest` a path under the root that may be the mirror. */
  | { kind: 'not-a-mirror'; why: string; suggest: string | null };

/**
 * The verdict from a listing of the root's names (folders with a trailing slash or not): no
 * top-level digit folder (nor `cache/` over HTTP) is no Gutenberg mirror; a `gutenberg` folder in it
 * is suggested (the usual layout of a site holding a mirror, `…/pub/docs/books/gutenberg/`).
 */
export function verdictOfListing(names: readonly string[], http: boolean): RootVerdict {
  const plain = names.map((n) => n.replace(/\/+$/, ''));
  if (plain.some((n) => LAYOUT.test(n) || (http && n === 'cache'))) return { kind: 'mirror' };
  const sub = plain.find((n) => /gutenberg/i.test(n)) ?? null;
  const shown = plain.slice(0, 8).join(', ') + (plain.length > 8 ? ', …' : '');
  return { kind: 'not-a-mirror', why: `its listing has no folder 0/ to 9/${http ? ' nor cache/' : ''}${plain.length > 0 ? ` (it holds ${shown})` : ' (it is empty)'}`, suggest: sub };
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
    private readonly probe: (signal: AbortSignal) => Promise<RootVerdict>,
  ) {}

  /**
   * One try of `ebooks` (a book, or a batch: `errorsOf` gives each book's error, null for fetched).
   * A book found missing once the first few are waits for the root's verdict before its failure
   * counts, so that `check` can stop the job on it.
   */
  async track<T>(ebooks: readonly number[], signal: AbortSignal, fetch: () => Promise<T>, errorsOf?: (result: T) => ReadonlyArray<FanoutError | null>): Promise<T> {
    let result: T;
    try {
      result = await fetch();
    } catch (raw) {
      if (raw instanceof FanoutError) await this.#outcomes(ebooks.map(() => raw), ebooks, signal);
      throw raw;
    }
    await this.#outcomes(errorsOf?.(result) ?? ebooks.map(() => null), ebooks, signal);
    return result;
  }

  async #outcomes(errors: ReadonlyArray<FanoutError | null>, ebooks: readonly number[], signal: AbortSignal): Promise<void> {
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
    this.#verdict ??= this.probe(signal).catch((): RootVerdict => ({ kind: 'unknown' }));
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
    const base = shown.endsWith('/') ? shown : `${shown}/`;
    const message =
      `${shown} does not look like a Gutenberg mirror root: the first ${this.#missing.size} book(s) asked for are not there and ${v.why}` +
      `${v.suggest ? `; try ${base}${encodeURIComponent(v.suggest)}/` : '; give the folder that holds the folders 0/ to 9/ (e.g. …/gutenberg/)'}. ` +
      'The job stopped; the books not fetched stay pending for a re-run.';
    const { ebook: _ebook, path: _path, ...context } = err.context;
    return new FanoutError('BAD_INPUT', message, context, { cause: err });
  }
}

/**
 * The root's verdict: HTTP, the root's folder index through a session of the job's mirror (its TLS,
 * proxy); a 404 for the root itself means the folder is not there only when its parent's folder
 * index does not list it (`rootNotFound`). FTP, a login of its own (basic-ftp),
 * CWD to the root (550: no such folder) and LIST. Anything else (an index off, a refusal, a SOCKS
 * proxy) is `unknown`: the job goes on as before.
 */
export async function probeMirrorRoot(mirror: Mirror, url: string, tls: OpenMirrorOptions['tls'], proxy: string | undefined, timeoutMs: number, signal: AbortSignal): Promise<RootVerdict> {
  if (mirror.protocol === 'http' || mirror.protocol === 'https') return probeHttpRoot(mirror, url, signal);
  if (proxy && /^socks/i.test(proxy)) return { kind: 'unknown' };
  return probeFtpRoot(url, mirror.protocol === 'ftps', tls, timeoutMs, signal);
}

/** A folder index page's names, or null when the page is no folder index (a site's home page). */
function folderIndexNames(body: string): string[] | null {
  const names = parseFolderIndex(body).map((e) => e.name);
  return names.length === 0 || !/Index of|autoindex|^\s*\[/i.test(body) ? null : names;
}

async function probeHttpRoot(mirror: Mirror, url: string, signal: AbortSignal): Promise<RootVerdict> {
  const session = mirror.openSession(-1);
  const dir = await mkdtemp(path.join(tmpdir(), 'fanout-root-'));
  try {
    const dest = path.join(dir, 'index');
    try {
      await session.fetchFile('', { dest, signal });
    } catch (err) {
      if (err instanceof FanoutError && err.code === 'HTTP_NOT_FOUND') return await rootNotFound(session, url, path.join(dir, 'parent'), signal);
      return { kind: 'unknown' };
    }
    const body = await readFile(dest, 'utf8');
    const names = folderIndexNames(body);
    // A page that is no folder index (a site's home page): nothing to tell from.
    if (names === null) return parseFolderIndex(body).some((e) => LAYOUT.test(e.name.replace(/\/+$/, ''))) ? { kind: 'mirror' } : { kind: 'unknown' };
    return verdictOfListing(names, true);
  } finally {
    await session.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The root folder's URL answered 404. Many hosts answer 404 for a folder without an index page while
 * they serve every file in it (S3/GCS static websites, Caddy without `browse`, object-store CDNs): a
 * real mirror there is not stopped. Only a host shown to list folders tells: the parent's folder index,
 * without the root's name in it, says the folder is not there. Anything else (no parent, the parent
 * 404 or no index, the root's name listed) is `unknown`.
 */
async function rootNotFound(session: ReturnType<Mirror['openSession']>, url: string, dest: string, signal: AbortSignal): Promise<RootVerdict> {
  const segments = new URL(url).pathname.split('/').filter(Boolean);
  const name = segments.at(-1);
  if (name === undefined) return { kind: 'unknown' };
  try {
    // The session's paths are `<root>/<relPath>`: '../' is the parent folder (the URL parser resolves it).
    await session.fetchFile('../', { dest, signal });
  } catch (err) {
    if (isAbortError(err)) throw err;
    return { kind: 'unknown' };
  }
  const names = folderIndexNames(await readFile(dest, 'utf8'));
  if (names === null) return { kind: 'unknown' };
  const wanted = safeDecode(name);
  if (names.some((n) => safeDecode(n.replace(/\/+$/, '')) === wanted)) return { kind: 'unknown' };
  return { kind: 'not-a-mirror', why: 'that folder is not on the server (HTTP 404, and the folder index of its parent does not list it)', suggest: null };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function probeFtpRoot(url: string, secure: boolean, tls: OpenMirrorOptions['tls'], timeoutMs: number, signal: AbortSignal): Promise<RootVerdict> {
  const u = new URL(url);
  const { Client, FTPError } = await import('basic-ftp');
  const client = new Client(timeoutMs);
  const onAbort = () => client.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const port = u.port ? Number(u.port) : 21;
    await client.access({
      host: u.hostname,
      port,
      user: u.username ? decodeURIComponent(u.username) : 'anonymous',
      password: u.password ? decodeURIComponent(u.password) : 'anonymous@',
      secure: secure ? ((tls?.implicit ?? port === 990) ? 'implicit' : true) : false,
      secureOptions: { ...tlsTrust(tls) },
    });
    const root = decodeURIComponent(u.pathname.replace(/\/+$/, '')) || '/';
    try {
      await client.cd(root);
    } catch (err) {
      if (err instanceof FTPError && err.code === 550) return { kind: 'not-a-mirror', why: `the server will not enter that folder (FTP 550 to CWD ${root}: it is not there, or this login may not read it)`, suggest: null };
      return { kind: 'unknown' };
    }
    const list = await client.list();
    return verdictOfListing(list.filter((e) => e.isDirectory || e.isSymbolicLink).map((e) => e.name).concat(list.filter((e) => !e.isDirectory && !e.isSymbolicLink).map((e) => e.name).filter((n) => !LAYOUT.test(n))), false);
  } catch (err) {
    if (isAbortError(err)) throw err;
    return { kind: 'unknown' };
  } finally {
    signal.removeEventListener('abort', onAbort);
    client.close();
  }
}
