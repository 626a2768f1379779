import type { IncomingHttpHeaders } from 'node:http';
import { Client } from './undici-parts';
import { FanoutError } from '../core/fanout-error';
import { HttpRun, type HttpRunHost, type HttpRunOptions } from './http-pipeline';
import type { StallRule } from './http-response';
import { assertEbook } from './mirror-layout';
import type { TlsTrust } from './tls-trust';
import { guardedConnector } from './http-connector';
import { tunnelConnector } from '../net/proxy-tunnel';
import { fetchHttpFile } from './http-file';
import { isHeldBook, type FetchBookOptions, type FetchBooksHandOverOptions, type FetchBooksOptions, type FetchedBook, type FetchedFile, type FetchFileOptions, type HeldBook, type MirrorSession } from './types';

export { httpStatusError } from './http-pipeline';

export interface HttpTarget {
  /** Mirror root URL without trailing slash, e.g. `https://host/gutenberg`. */
  base: string;
  host: string;
  timeoutMs: number;
  /** Certificate checks for https:// (also after a redirect to https). */
  tls: TlsTrust;
  /** Send each book's index request right behind its `N-0.txt`, whatever the caller asks (FetchBookOptions.speculateIndex; default: see SPECULATE_INDEX_IN_BATCH). For measuring. */
  speculateIndex?: boolean;
  /** A body receiving fewer than `minBytes` in `ms` is cut (the connection ends, its books are retried). */
  stall: StallRule;
  /** What the job learned about the server, shared by every session of the mirror. */
  server: HttpServerTraits;
  /** The HTTP proxy for an origin (net/proxy-config.ts), or null: direct. */
  proxy?: (origin: string) => URL | null;
}

/**
 * Whether the server keeps connections alive, learned from its responses and remembered for the
 * job (one per Mirror, shared by its sessions). Pipelining is safe only on a kept connection: a
 * server that closes after a response drops whatever was queued behind it.
 * - `unknown`: one request at a time per connection.
 * - `yes`: a response said `Connection: keep-alive`, or a connection carried a second response:
 *   pipelining.
 * - `no`: a response said `Connection: close` before any proof: one request at a time for the job.
 * A kept-alive server may still close now and then (Apache's `MaxKeepAliveRequests`): undici
 * resends what was queued on a new connection; the server stays `yes`.
 */
export interface HttpServerTraits {
  keepAlive: 'unknown' | 'yes' | 'no';
}

/**
 * Requests on the wire at once on a session's connection. Deep enough to keep a 50 ms round trip
 * busy with typical books (a few hundred KB each), shallow enough that a failed connection wastes
 * little and the server's per-connection queue stays small.
 */
export const HTTP_PIPELINE_DEPTH = 12;

/**
 * Whether a batch sends `GET <dir>/` right behind each `GET N-0.txt`. Off: in a pipelined batch a
 * miss's index request joins the queue behind the requests already in flight, so it costs a round
 * trip only at the very end of a batch, and the extra index per hit (a request and a response the
 * server must build) buys nothing; measured on the benchmark mirror (35% misses, 25 ms each way),
 * see the mirror README.
 */
const SPECULATE_INDEX_IN_BATCH = false;

/**
 * Requests a session has in flight at once against a server that closes the connection after
 * every response (each on a connection of its own: a connection costs a connect either way). Few,
 * so that a session stays a small, bounded number of connections; see the README's measurements.
 */
export const HTTP_PARALLEL_CLOSING = 4;

/** Origins a session keeps a connection to at once (the mirror's, plus redirect targets). */
const MAX_ORIGINS = 4;

export interface HttpSessionStats {
  /** Requests sent. */
  requests: number;
  /** Connections opened. */
  connections: number;
  /** Most requests sent and not yet answered at one time (1 = no pipelining happened). */
  maxInFlight: number;
}

/**
 * One worker's HTTP session: one undici `Client` (one keep-alive connection) to the mirror, used
 * by both paths, so the worker count is the connection count, no lane waits for another's socket,
 * and closing a session closes its connection. Per book: GET `N-0.txt`; on 404 GET the folder
 * index and then the best file it lists; `cache/epub/N/pgN.txt` last (see mirror-layout.ts). A
 * `.part` is resumed with `Range` and `If-Range` (the ETag or strong Last-Modified recorded when
 * the part was started), so a file that changed on the server comes back whole (200) instead of
 * being spliced onto the old part; Content-Length is checked.
 *
 * `fetchBooks` pipelines a batch on that connection (see http-pipeline.ts): round trips are paid
 * per batch, not per book. `fetchBook` is the same engine with one book. A connection that fails
 * before any response on a session that had one (the server dropped it while idle) is replaced
 * once, quietly.
 */
export class HttpSession implements MirrorSession {
  readonly stats: HttpSessionStats = { requests: 0, connections: 0, maxInFlight: 0 };
  private readonly clients = new Map<string, Client>();
  /** Connections made for one request each (a server that closes after every response). */
  private readonly oneShots = new Set<Client>();
  /** Per Client: connections it opened, and the one its last response came on. */
  private readonly generations = new WeakMap<Client, { opened: number; lastResponse: number }>();
  /** A connection of this session has answered: a failure before any response may be a stale one. */
  private served = false;
  private readonly host: HttpRunHost;

  constructor(
    private readonly target: HttpTarget,
    readonly workerId: number,
  ) {
    const server = target.server;
    this.host = {
      base: target.base,
      host: target.host,
      get depth() {
        return server.keepAlive === 'yes' ? HTTP_PIPELINE_DEPTH : server.keepAlive === 'no' ? HTTP_PARALLEL_CLOSING : 1;
      },
      get pipelined() {
        return server.keepAlive === 'yes';
      },
      oneShot: (origin) => (server.keepAlive === 'no' ? this.oneShotClient(origin) : null),
      stall: target.stall,
      client: (origin) => this.client(origin),
      mayPause: (client, headers) => this.noteKeepAlive(client, headers),
      dropClients: () => this.dropClients(),
      noteRequest: (inFlight) => {
        this.stats.requests++;
        this.stats.maxInFlight = Math.max(this.stats.maxInFlight, inFlight);
      },
      noteResponse: () => {
        this.served = true;
      },
    };
  }

  async fetchBook(ebook: number, opts: FetchBookOptions): Promise<FetchedBook> {
    assertEbook(ebook);
    const [r] = await this.run([ebook], { rawDir: opts.rawDir, rawParts: opts.rawParts, ctx: opts.ctx, speculateIndex: this.target.speculateIndex ?? opts.speculateIndex ?? false });
    if (r instanceof FanoutError) throw r;
    // Nothing is handed over without deferRawLanding: a held text here would be a book not on disk.
    if (!r || isHeldBook(r)) throw new FanoutError('INTERNAL', `ebook ${ebook} was not landed`, { ebook });
    return r;
  }

  fetchBooks(ebooks: number[], opts: FetchBooksOptions): Promise<Array<FetchedBook | FanoutError>>;
  fetchBooks(ebooks: number[], opts: FetchBooksHandOverOptions): Promise<Array<FetchedBook | HeldBook | FanoutError>>;
  async fetchBooks(ebooks: number[], opts: FetchBooksOptions | FetchBooksHandOverOptions): Promise<Array<FetchedBook | HeldBook | FanoutError>> {
    ebooks.forEach(assertEbook);
    if (ebooks.length === 0) return [];
    // The same book twice in one batch would write one `.part` twice at once: the repeat goes alone, after.
    const first = [...new Set(ebooks)];
    const onFetched = opts.onFetched as (book: FetchedBook | HeldBook) => Promise<void>; // a HeldBook only with deferRawLanding
    const results = await this.run(first, { rawDir: opts.rawDir, rawParts: opts.rawParts, ctx: opts.ctx, onFetched, deferRawLanding: opts.deferRawLanding === true, overlap: true, speculateIndex: this.target.speculateIndex ?? opts.speculateIndex ?? SPECULATE_INDEX_IN_BATCH });
    const byEbook = new Map(first.map((e, i) => [e, results[i]!] as const));
    const out: Array<FetchedBook | HeldBook | FanoutError> = [];
    const repeated = new Set<number>();
    for (const ebook of ebooks) {
      if (!repeated.has(ebook)) {
        repeated.add(ebook);
        out.push(byEbook.get(ebook)!);
        continue;
      }
      const again = await this.fetchBook(ebook, opts).catch((e: unknown) => (e instanceof FanoutError ? e : null));
      if (again === null) throw new FanoutError('INTERNAL', `ebook ${ebook} failed unexpectedly`, { ebook });
      if (!(again instanceof FanoutError)) await opts.onFetched(again);
      out.push(again);
    }
    return out;
  }

  /** One file by path (e.g. the catalog) on this session's connection: see http-file.ts. */
  fetchFile(relPath: string, opts: FetchFileOptions): Promise<FetchedFile> {
    return fetchHttpFile(this.host, relPath, opts);
  }

  async close(): Promise<void> {
    this.dropClients();
  }

  private async run(ebooks: number[], opts: HttpRunOptions): Promise<Array<FetchedBook | HeldBook | FanoutError>> {
    for (let attempt = 0; ; attempt++) {
      const stale = this.served;
      const run = new HttpRun(this.host, ebooks, opts);
      try {
        return await run.execute();
      } catch (e) {
        // A kept connection the server had closed while idle: one quiet retry on a fresh one.
        const retry = attempt === 0 && stale && !run.gotResponse && !opts.ctx.signal.aborted && e instanceof FanoutError && e.retryable;
        if (!retry) throw e;
      }
    }
  }

  /**
   * Learns from a response whether the server keeps connections alive (see HttpServerTraits) and
   * says whether its body may pause the connection: only when the connection is kept, because
   * undici asserts when a paused response on a closing connection ends (see http-response.ts).
   */
  private noteKeepAlive(client: Client, headers: IncomingHttpHeaders): boolean {
    const server = this.target.server;
    const connection = String(headers.connection ?? '');
    const closes = /\bclose\b/i.test(connection);
    const gen = this.generations.get(client);
    // Proof: the server says keep-alive (nginx, Apache and Node do, in words), or a connection
    // carried a second response (an HTTP/1.0 server that closes says nothing at all).
    const reused = gen !== undefined && gen.lastResponse === gen.opened;
    if (gen) gen.lastResponse = gen.opened;
    if (!closes && server.keepAlive === 'unknown' && (reused || /\bkeep-alive\b/i.test(connection))) server.keepAlive = 'yes';
    if (closes) {
      if (server.keepAlive === 'unknown') server.keepAlive = 'no';
      return false;
    }
    return server.keepAlive === 'yes';
  }

  /** How a Client reaches `origin`: directly, or through a CONNECT tunnel of the job's proxy. */
  private connector(origin: string, timeout: number) {
    const tls = origin.startsWith('https:') ? this.target.tls : undefined;
    const proxy = this.target.proxy?.(origin) ?? null;
    if (proxy) return tunnelConnector(proxy, { ...(tls ? { tls } : {}), timeout });
    return guardedConnector(tls ? { ...tls, timeout } : { timeout });
  }

  /** A Client for one request on a server that closes after each response; closed by the run once read. */
  private oneShotClient(origin: string): Client {
    const timeout = this.target.timeoutMs;
    const client = new Client(origin, {
      pipelining: 1,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: this.connector(origin, timeout),
    });
    client.on('connect', () => {
      this.stats.connections++;
    });
    const forget = () => {
      this.oneShots.delete(client);
    };
    client.on('disconnect', forget);
    client.on('connectionError', () => {
      forget();
      client.destroy().catch(() => {});
    });
    this.oneShots.add(client);
    return client;
  }

  private client(origin: string): Client {
    const existing = this.clients.get(origin);
    if (existing && !existing.destroyed && !existing.closed) return existing;
    if (this.clients.size >= MAX_ORIGINS) {
      // Redirect targets beyond a few: drop the oldest other origin's connection.
      const [oldest] = [...this.clients.keys()].filter((o) => o !== new URL(this.target.base).origin);
      if (oldest) this.dropClient(oldest);
    }
    const timeout = this.target.timeoutMs;
    const client = new Client(origin, {
      pipelining: HTTP_PIPELINE_DEPTH,
      // Keep the connection between batches (the server's Keep-Alive hint, when given, wins).
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: this.connector(origin, timeout),
    });
    const gen = { opened: 0, lastResponse: -1 };
    this.generations.set(client, gen);
    client.on('connect', () => {
      this.stats.connections++;
      gen.opened++;
    });
    // A connection that fails takes its Client with it. Otherwise undici would reconnect at once and
    // resend the requests queued behind the one that failed, hiding a failing server from the pool's
    // backoff (and from the batch's "the rest are retryable"). A graceful close after a complete
    // response (`Connection: close`, UND_ERR_INFO) is not a failure: undici reconnects for the rest.
    const retire = (_origin: unknown, _targets: unknown, err: { code?: string } | undefined) => {
      if (err?.code === 'UND_ERR_INFO') return;
      if (this.clients.get(origin) === client) this.clients.delete(origin);
      if (!client.destroyed) client.destroy().catch(() => {});
    };
    client.on('disconnect', retire);
    client.on('connectionError', retire);
    this.clients.set(origin, client);
    return client;
  }

  private dropClient(origin: string): void {
    const c = this.clients.get(origin);
    this.clients.delete(origin);
    c?.destroy().catch(() => {});
  }

  private dropClients(): void {
    for (const origin of [...this.clients.keys()]) this.dropClient(origin);
    for (const c of this.oneShots) c.destroy().catch(() => {});
    this.oneShots.clear();
    this.served = false;
  }
}
