import { FanoutError } from '../core/fanout-error';
import type { FtpSession } from './ftp-session';
import { newFtpHostState } from './ftp-host-state';
import { HttpSession, type HttpServerTraits } from './http-session';
import { tlsTrust } from './tls-trust';
import { bypassesProxy, proxyFor } from '../net/proxy-config';
import { parseSocks5Url } from '../net/socks';
import { isSocks5Url } from '../../../shared/proxy-setting';
import { redactUrl } from '../../../shared/input-checks';
import type { FetchBookOptions, FetchBooksHandOverOptions, FetchBooksOptions, FetchedBook, FetchedFile, FetchFileOptions, HeldBook, Mirror, MirrorProtocol, MirrorSession, OpenMirrorOptions } from './types';

/** A body receiving less than this per stall window is cut (1 KiB: far below any usable mirror). */
const STALL_MIN_BYTES = 1024;

/**
 * Opens a Gutenberg mirror by URL: `ftp://host[:port]/root`, `ftps://…` (explicit TLS via AUTH
 * TLS; implicit TLS when the port is 990 or `opts.tls.implicit`), `http://…`, `https://…`. Nothing
 * connects until a session fetches a book. Throws FanoutError('BAD_INPUT') for other URLs.
 */
export function openMirror(url: string, opts: OpenMirrorOptions): Mirror {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FanoutError('BAD_INPUT', `Not a mirror URL: ${url}`, {});
  }
  const protocol = u.protocol.replace(/:$/, '') as MirrorProtocol;
  if (!['ftp', 'ftps', 'http', 'https'].includes(protocol)) {
    throw new FanoutError('BAD_INPUT', `Unsupported mirror protocol: ${u.protocol}`, { host: u.hostname });
  }
  const host = u.hostname;
  const proxySetting = opts.proxy ?? 'env';
  // FTP through a SOCKS5 proxy (../net/ftp-over-socks.ts); HTTP through an HTTP one (../net/proxy-tunnel.ts).
  const noProxy = process.env.no_proxy ?? process.env.NO_PROXY ?? '';
  const socks = isSocks5Url(proxySetting) && !bypassesProxy(u, noProxy) ? parseSocks5Url(proxySetting) : undefined;
  if (protocol === 'ftp' || protocol === 'ftps') {
    if (proxySetting !== 'env' && proxySetting !== 'none' && !socks) {
      throw new FanoutError('BAD_INPUT', `FTP mirrors cannot go through a proxy other than SOCKS5 (${redactUrl(proxySetting)}): give a SOCKS5 proxy (socks5://host:port), use an http(s):// mirror through this one, or no proxy`, { host });
    }
    if (socks && protocol === 'ftps' && (opts.tls?.implicit ?? (u.port ? Number(u.port) : 21) === 990)) {
      throw new FanoutError('BAD_INPUT', `implicit FTPS (port 990) cannot go through the SOCKS5 proxy; use explicit FTPS (ftps:// on port 21) or no proxy`, { host });
    }
  } else if (socks) {
    throw new FanoutError('BAD_INPUT', `HTTP mirrors go through an HTTP proxy (http://host:port), not SOCKS5 (${redactUrl(proxySetting)}); use env, none or an http:// proxy`, { host });
  }
  const root = u.pathname.replace(/\/+$/, '');
  const tls = tlsTrust(opts.tls);
  const sessions = new Set<MirrorSession>();
  // What the FTP sessions learn about the server (pipelining, logins) is shared by the job's sessions.
  const ftpHost = newFtpHostState(opts.ftp);
  // What the job learns about an HTTP server (does it keep connections alive?), for every session.
  const server: HttpServerTraits = { keepAlive: 'unknown' };
  const stall = { ms: opts.stallTimeoutMs ?? opts.timeoutMs, minBytes: STALL_MIN_BYTES };

  const make = (workerId: number): MirrorSession => {
    if (protocol === 'ftp' || protocol === 'ftps') {
      const port = u.port ? Number(u.port) : 21;
      return new LazyFtpSession([
        {
          host,
          port,
          user: u.username ? decodeURIComponent(u.username) : 'anonymous',
          password: u.password ? decodeURIComponent(u.password) : 'anonymous@',
          root: decodeURIComponent(root),
          baseUrl: `${u.protocol}//${u.host}`,
          secure: protocol === 'ftps' ? ((opts.tls?.implicit ?? port === 990) ? 'implicit' : true) : false,
          tls,
          timeoutMs: opts.timeoutMs,
          stallTimeoutMs: opts.stallTimeoutMs ?? opts.timeoutMs,
          ...(socks ? { socks } : {}),
        },
        workerId,
        ftpHost,
      ]);
    }
    const proxy = (origin: string) => proxyFor(origin, proxySetting);
    return new HttpSession({ base: `${u.protocol}//${u.host}${root}`, host, timeoutMs: opts.timeoutMs, tls, stall, server, proxy }, workerId);
  };

  return {
    url,
    host,
    protocol,
    openSession(workerId: number): MirrorSession {
      const s = make(workerId);
      sessions.add(s);
      return s;
    },
    async close() {
      await Promise.all([...sessions].map((s) => s.close()));
      sessions.clear();
    },
  };
}

/**
 * The FTP client (ftp-session.ts and basic-ftp: ~15-20 ms of CPU to load) is loaded by an FTP
 * session's first call, not with this module: an HTTP job, the catalog download and the app's
 * start never load it.
 */
let ftpModule: Promise<typeof import('./ftp-session')> | null = null;

/** An FtpSession made at its first call (the module loaded then); the same calls, in order. */
class LazyFtpSession implements MirrorSession {
  #session: Promise<FtpSession> | null = null;

  constructor(private readonly args: ConstructorParameters<typeof FtpSession>) {}

  #get(): Promise<FtpSession> {
    return (this.#session ??= (ftpModule ??= import('./ftp-session')).then((m) => new m.FtpSession(...this.args)));
  }

  async fetchBook(ebook: number, opts: FetchBookOptions): Promise<FetchedBook> {
    return (await this.#get()).fetchBook(ebook, opts);
  }

  fetchBooks(ebooks: number[], opts: FetchBooksOptions): Promise<Array<FetchedBook | FanoutError>>;
  fetchBooks(ebooks: number[], opts: FetchBooksHandOverOptions): Promise<Array<FetchedBook | HeldBook | FanoutError>>;
  async fetchBooks(ebooks: number[], opts: FetchBooksOptions | FetchBooksHandOverOptions): Promise<Array<FetchedBook | HeldBook | FanoutError>> {
    return (await this.#get()).fetchBooks(ebooks, opts as FetchBooksOptions);
  }

  async fetchFile(relPath: string, opts: FetchFileOptions): Promise<FetchedFile> {
    return (await this.#get()).fetchFile(relPath, opts);
  }

  async listFolderNames(relDir: string, signal?: AbortSignal): Promise<string[] | null> {
    return (await this.#get()).listFolderNames(relDir, signal);
  }

  /** Closes the session if it was made (a session never used has no connection). */
  async close(): Promise<void> {
    if (this.#session) await (await this.#session).close();
  }
}
