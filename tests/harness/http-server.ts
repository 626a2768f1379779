import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface HttpServerOptions {
  /** Folder served at `/`. */
  root: string;
  /** Serve an nginx-like HTML index for folders (default true); false answers 403 for folders. */
  autoindex?: boolean;
  /** Serve HTTPS with this PEM certificate and key (e.g. from `makeSelfSignedCert`). */
  tls?: { cert: string; key: string };
  /** Send a strong nginx-style `ETag` ("mtime-size" in hex) with files (default true). */
  etag?: boolean;
  /**
   * Honour `If-Range` (default true): a Range whose validator (ETag, or the Last-Modified date) no
   * longer matches gets the whole file with 200. False ignores If-Range, like a careless server.
   */
  ifRange?: boolean;
  /**
   * Close the connection after every response, announcing it with `Connection: close` (HTTP/1.0
   * style, like nginx `keepalive_timeout 0`): a client that pipelines loses what it queued.
   */
  closeAfterResponse?: boolean;
}

/** One request as the server saw it. */
export interface HttpRequestRecord {
  method: string;
  /** Decoded path, e.g. `/4/1/418/418-0.txt`. */
  path: string;
  range: string | null;
  /** The `If-Range` header sent with the request, if any. */
  ifRange: string | null;
  status: number;
  /** Index of the TCP connection it came on (0-based): same index = keep-alive reuse. */
  connection: number;
  /** When the server answered it (Date.now()): request times from the server's side. */
  at: number;
}

/** Failure injection for tests. Paths are URL paths (`/4/1/418/418-0.txt`). */
export interface HttpHooks {
  /** The next `count` requests of `path` get `status` (default 503) with an empty body. */
  failNext(path: string, count: number, status?: number, headers?: Record<string, string>): void;
  /** The next `count` (default 1) responses of `path` send headers and `afterBytes` of the body, then destroy the socket. */
  cutBody(path: string, afterBytes: number, count?: number): void;
  /** Requests of `path` are answered with `status` (default 302) and `Location: location`. */
  redirect(path: string, location: string, status?: number): void;
  /**
   * The next `count` (default 1) responses of `path` send headers and `afterBytes` of the body, then
   * nothing more (`trickleMs`: one more byte every `trickleMs`), the connection held open until the
   * client gives up (or the server stops).
   */
  stallBody(path: string, afterBytes: number, opts?: { count?: number; trickleMs?: number }): void;
  /**
   * Every response held by `stallBody` (without `trickleMs`) sends the rest of its body now, and no
   * later one is held: a stall that lasts until the test has done what it needed a running client
   * for, not a number of ms.
   */
  releaseStalls(): void;
  /** Requests of `path` get this exact body (200, text/html): e.g. a hostile listing. */
  respondWith(path: string, body: string | Buffer, contentType?: string): void;
  /** Removes every hook. */
  clear(): void;
}

export interface HttpServer {
  /** `http://127.0.0.1:PORT` (`https://…` with `tls`; no trailing slash). */
  url: string;
  port: number;
  hooks: HttpHooks;
  /** Every request answered so far (bounded to the last 10,000). */
  requests: HttpRequestRecord[];
  /** Connections accepted so far (with `tls`: the ones whose handshake succeeded). */
  connections(): number;
  /** Closes the listener and every connection. */
  stop(): Promise<void>;
}

/**
 * Node's own HTTP/1.1 (or HTTPS) server over a mirror folder: keep-alive, single `Range`
 * (206/416) with `If-Range`, ETag and Last-Modified, Content-Length, 404, optional autoindex, and
 * failure hooks. GET and HEAD only.
 */
export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const root = path.resolve(opts.root);
  const autoindex = opts.autoindex ?? true;
  const sendEtag = opts.etag ?? true;
  const honourIfRange = opts.ifRange ?? true;
  const fails = new Map<string, { count: number; status: number; headers: Record<string, string> }>();
  const cuts = new Map<string, { afterBytes: number; count: number }>();
  const stalls = new Map<string, { afterBytes: number; count: number; trickleMs: number | null }>();
  const timers = new Set<NodeJS.Timeout>();
  /** The responses `stallBody` holds: each sends the rest of its body when called. */
  const held = new Set<() => void>();
  const redirects = new Map<string, { location: string; status: number }>();
  const fixed = new Map<string, { body: Buffer; type: string }>();
  const requests: HttpRequestRecord[] = [];
  const sockets = new Set<net.Socket>();
  let connCount = 0;
  const connIndex = new WeakMap<net.Socket, number>();

  const handler: http.RequestListener = async (req, res) => {
    if (opts.closeAfterResponse) res.shouldKeepAlive = false;
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      urlPath = '/';
    }
    const record = (status: number) => {
      if (requests.length >= 10_000) requests.shift();
      requests.push({
        method: req.method ?? 'GET',
        path: urlPath,
        range: req.headers.range ?? null,
        ifRange: headerString(req.headers['if-range']),
        status,
        connection: connIndex.get(req.socket) ?? -1,
        at: Date.now(),
      });
    };
    const plain = (status: number, body = '', headers: Record<string, string> = {}) => {
      record(status);
      res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'method not allowed\n');
      const fail = fails.get(urlPath);
      if (fail && fail.count > 0) {
        fail.count--;
        return plain(fail.status, '', fail.headers);
      }
      const redir = redirects.get(urlPath);
      if (redir) return plain(redir.status, '', { Location: redir.location });
      const fix = fixed.get(urlPath);
      if (fix) {
        record(200);
        res.writeHead(200, { 'Content-Type': fix.type, 'Content-Length': fix.body.length });
        return res.end(req.method === 'HEAD' ? undefined : fix.body);
      }
      const file = path.join(root, urlPath);
      if (file !== root && !file.startsWith(root + path.sep)) return plain(403, 'forbidden\n');
      const st = await stat(file).catch(() => null);
      if (!st) return plain(404, 'not found\n');
      if (st.isDirectory()) {
        if (!urlPath.endsWith('/')) return plain(301, '', { Location: urlPath + '/' });
        if (!autoindex) return plain(403, 'forbidden\n');
        const body = Buffer.from(await renderIndex(file, urlPath));
        record(200);
        res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': body.length });
        return res.end(req.method === 'HEAD' ? undefined : body);
      }
      let start = 0;
      let end = st.size - 1;
      let status = 200;
      const etag = `"${Math.floor(st.mtimeMs).toString(16)}-${st.size.toString(16)}"`;
      const lastModified = st.mtime.toUTCString();
      const ifRange = headerString(req.headers['if-range']);
      const rangeValid = !honourIfRange || ifRange === null || ifRangeMatches(ifRange, sendEtag ? etag : null, lastModified);
      const range = rangeValid ? req.headers.range : undefined;
      if (range) {
        const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
        if (m && (m[1] || m[2])) {
          if (m[1]) {
            start = Number(m[1]);
            if (m[2]) end = Math.min(Number(m[2]), st.size - 1);
          } else {
            start = Math.max(0, st.size - Number(m[2]));
          }
          if (start >= st.size || start > end) {
            return plain(416, '', { 'Content-Range': `bytes */${st.size}` });
          }
          status = 206;
        }
      }
      const length = end - start + 1;
      const headers: Record<string, string | number> = {
        'Content-Type': 'application/octet-stream',
        'Content-Length': length,
        'Accept-Ranges': 'bytes',
        'Last-Modified': lastModified,
      };
      if (sendEtag) headers['ETag'] = etag;
      if (status === 206) headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
      record(status);
      res.writeHead(status, headers);
      if (req.method === 'HEAD' || length === 0) return res.end();
      const stall = stalls.get(urlPath);
      if (stall && stall.count > 0) {
        stall.count--;
        const n = Math.min(stall.afterBytes, length);
        const body = createReadStream(file, { start, end });
        body.once('readable', function hold() {
          const first = body.read(n) as Buffer | null;
          if (first === null) return body.once('readable', hold);
          res.write(first);
          if (stall.trickleMs === null) {
            const release = () => {
              held.delete(release);
              if (!res.destroyed) body.pipe(res);
            };
            held.add(release);
            res.once('close', () => held.delete(release));
            return;
          }
          const t = setInterval(() => {
            const b = body.read(1) as Buffer | null;
            if (b && !res.destroyed) res.write(b);
          }, stall.trickleMs);
          timers.add(t);
          res.once('close', () => {
            clearInterval(t);
            timers.delete(t);
          });
        });
        res.once('close', () => body.destroy());
        return;
      }
      const cut = cuts.get(urlPath);
      if (cut && cut.count > 0) {
        cut.count--;
        const n = Math.min(cut.afterBytes, length);
        const s = createReadStream(file, { start, end: start + n - 1 });
        s.on('data', (d) => res.write(d));
        s.on('end', () => {
          // Let the bytes leave (end flushes them), then kill the connection mid-body.
          const sock = res.socket;
          if (!sock) return;
          const kill = setTimeout(() => sock.destroy(), 2000);
          sock.end(() => {
            clearTimeout(kill);
            sock.destroy();
          });
        });
        return;
      }
      createReadStream(file, { start, end }).pipe(res);
    } catch (e) {
      if (!res.headersSent) plain(500, String(e));
      else res.destroy();
    }
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: net.Socket) => {
    if (!opts.tls) connIndex.set(s, connCount++);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // TLS: requests arrive on the TLS socket, and a failed handshake is not a connection served.
  server.on('secureConnection', (s: net.Socket) => {
    connIndex.set(s, connCount++);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  const hooks: HttpHooks = {
    failNext(p, count, status = 503, headers = {}) {
      fails.set(p, { count, status, headers });
    },
    cutBody(p, afterBytes, count = 1) {
      cuts.set(p, { afterBytes, count });
    },
    stallBody(p, afterBytes, o = {}) {
      stalls.set(p, { afterBytes, count: o.count ?? 1, trickleMs: o.trickleMs ?? null });
    },
    releaseStalls() {
      stalls.clear();
      for (const release of [...held]) release();
    },
    redirect(p, location, status = 302) {
      redirects.set(p, { location, status });
    },
    respondWith(p, body, contentType = 'text/html') {
      fixed.set(p, { body: Buffer.isBuffer(body) ? body : Buffer.from(body), type: contentType });
    },
    clear() {
      fails.clear();
      cuts.clear();
      stalls.clear();
      redirects.clear();
      fixed.clear();
    },
  };

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    hooks,
    requests,
    connections: () => connCount,
    async stop() {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** An nginx-style autoindex page: `<a href="name">name</a>  date  size` lines in a `<pre>`. */
async function renderIndex(dir: string, urlPath: string): Promise<string> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const lines = ['<a href="../">../</a>'];
  for (const e of entries.slice(0, 10_000)) {
    const st = await stat(path.join(dir, e.name));
    const name = e.isDirectory() ? e.name + '/' : e.name;
    const date = st.mtime.toISOString().replace('T', ' ').slice(0, 16);
    const size = e.isDirectory() ? '-' : String(st.size);
    lines.push(`<a href="${encodeURIComponent(e.name)}${e.isDirectory() ? '/' : ''}">${escapeHtml(name)}</a>${' '.repeat(Math.max(1, 51 - name.length))}${date} ${size.padStart(19)}`);
  }
  const title = `Index of ${escapeHtml(urlPath)}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<h1>${title}</h1><hr><pre>${lines.join('\r\n')}\r\n</pre><hr></body>\r\n</html>\r\n`;
}

/**
 * RFC 9110 §13.1.5: an entity tag matches only strongly (a weak `W/` tag never does); a date
 * matches when it is exactly the file's Last-Modified.
 */
function ifRangeMatches(value: string, etag: string | null, lastModified: string): boolean {
  const v = value.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return etag !== null && v === etag;
  const when = Date.parse(v);
  return !Number.isNaN(when) && when === Date.parse(lastModified);
}

function headerString(h: string | string[] | undefined): string | null {
  return h === undefined ? null : Array.isArray(h) ? h.join(', ') : h;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
