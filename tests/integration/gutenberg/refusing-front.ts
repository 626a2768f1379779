import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import type { JobEvent, JobSummary } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { generateMirror, startApacheServer, startFtpServerOf, startHttpServer, startNginxServer, type GeneratedMirror } from '../../harness';
import { startInTempDir, startServerProcess } from '../../harness/server-process';

/**
 * What the "mirror refuses / mirror is wrong" tests share (nothing-serves, nothing-serves-grace,
 * wrong-root-404, nothing-serves-wrong-root): numbered books in a generated mirror with a catalog
 * of them, a job over that catalog, and a front (an HTTP server in front of a mirror, or of
 * nothing) whose every answer the test decides, request by request.
 */

export interface BooksFixture {
  work: string;
  mirror: GeneratedMirror;
  catalogPath: string;
  cleanup(): Promise<void>;
}

/** Books `books` (each one `-0.txt` of `sizeBytes`) but `missing`, in `<work>/<mirrorDir>`; the catalog lists them all. */
export async function booksFixture(prefix: string, books: readonly number[], opts: { mirrorDir?: string; missing?: ReadonlySet<number>; sizeBytes?: number } = {}): Promise<BooksFixture> {
  const work = await mkdtemp(path.join(tmpdir(), prefix));
  const on = books.filter((e) => !opts.missing?.has(e));
  const mirror = await generateMirror(path.join(work, opts.mirrorDir ?? 'mirror'), on.map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: opts.sizeBytes ?? 4_000 })));
  const catalogPath = path.join(work, 'catalog.csv');
  const rows = books.map((e) => `${e},Text,2000-01-01,"Book ${e}",en,"Author, Test",Fiction,PR,Shelf`);
  await writeFile(catalogPath, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...rows, ''].join('\n'));
  return { work, mirror, catalogPath, cleanup: () => rm(work, { recursive: true, force: true }) };
}

export interface BooksJob {
  summary: JobSummary;
  events: JobEvent[];
  /** manifest.jsonl as written ('' when the job left none). */
  manifest: string;
}

/** A job over `catalogPath` from `mirror` into `outDir`: 4 workers, adaptive, 3 attempts, 10 s timeout unless `input` says else. */
export async function runBooksJob(catalogPath: string, mirror: string, outDir: string, input: Record<string, unknown> = {}): Promise<BooksJob> {
  const events: JobEvent[] = [];
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: catalogPath, mirror, outDir, workers: 4, strategy: 'adaptive', attempts: 3, timeoutMs: 10_000, selection: {}, ...input });
  const summary = await runGutenbergJob(spec, createJobControl((e) => events.push(e)));
  const manifestPath = path.join(outDir, 'manifest.jsonl');
  return { summary, events, manifest: existsSync(manifestPath) ? await readFile(manifestPath, 'utf8') : '' };
}

/** The job's own error(s), as `CODE: message`. */
export function jobErrors(summary: JobSummary): string[] {
  return summary.failures.filter((f) => f.item === '(job)').map((f) => `${f.error.code}: ${f.error.message}`);
}

/** One request at the front: the ebook of its `N.txt`/`N-0.txt` (NaN for anything else), and which request of that ebook it is (1 = first). */
export interface FrontRequest {
  ebook: number;
  n: number;
}

export interface Front {
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  /** Requests per ebook so far. */
  seen: Map<number, number>;
  close(): Promise<void>;
}

/** An HTTP server answering each request with `answer` (a thrown error cuts the connection). */
export async function startFront(answer: (req: IncomingMessage, res: ServerResponse, request: FrontRequest) => Promise<void> | void): Promise<Front> {
  const seen = new Map<number, number>();
  const server: Server = createServer((req, res) => {
    const ebook = Number(/\/(\d+)(?:-0)?\.txt$/.exec(req.url ?? '')?.[1] ?? NaN);
    const n = (seen.get(ebook) ?? 0) + 1;
    seen.set(ebook, n);
    void (async () => answer(req, res, { ebook, n }))().catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Answers `req` with `upstream`'s response to it, read whole. */
export async function relay(req: IncomingMessage, res: ServerResponse, upstream: string): Promise<void> {
  const answer = await fetch(new URL(req.url ?? '/', upstream), { method: req.method });
  res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
  res.end(Buffer.from(await answer.arrayBuffer()));
}

/** nginx answering 503 to every request, each request logged (one line per request, unbuffered). */
export function startNginx503(): Promise<NginxWith> {
  return startNginxWith('location / { return 503; }');
}

export interface NginxWith {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  /** The access log: `<uri> <status>` a request. */
  log: () => Promise<string[]>;
  stop: () => Promise<void>;
}

/** nginx with `server` as its one server block's body (after `listen`), each request logged. */
export async function startNginxWith(server: string): Promise<NginxWith> {
  let logPath = '';
  const proc = await startInTempDir('fanout-nginx-', (tmp) => {
    const errorLog = path.join(tmp, 'error.log');
    const conf = path.join(tmp, 'nginx.conf');
    logPath = path.join(tmp, 'access.log');
    const t = (name: string) => path.join(tmp, name);
    return startServerProcess({
      name: 'nginx',
      cmd: process.env.FANOUT_NGINX ?? '/usr/sbin/nginx',
      args: async (port) => {
        await writeFile(conf, `daemon off;
master_process off;
pid ${t('nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 512; }
http {
  log_format line '$request_uri $status';
  access_log ${logPath} line;
  client_body_temp_path ${t('body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  server {
    listen 127.0.0.1:${port};
    ${server}
  }
}
`);
        return ['-e', errorLog, '-p', tmp, '-c', conf];
      },
      stderrOf: () => readFile(errorLog, 'utf8'),
    });
  });
  return {
    url: `http://127.0.0.1:${proc.port}`,
    log: async () => (await readFile(logPath, 'utf8').catch(() => '')).split('\n').filter(Boolean),
    stop: () => proc.stop(),
  };
}

/** Tries per book as the server saw them: requests of each book's `N-0.txt`. */
export function triesPerBook(paths: string[]): Map<number, number> {
  const tries = new Map<number, number>();
  for (const p of paths) {
    const m = /\/(\d+)-0\.txt\b/.exec(p);
    if (m) tries.set(Number(m[1]), (tries.get(Number(m[1])) ?? 0) + 1);
  }
  return tries;
}

/** A real server serving a folder: `url` without a trailing slash. */
export interface SiteServer {
  url: string;
  stop: () => Promise<void> | void;
}

/** The real servers of the wrong-root tests, each serving `root()` (read when started). */
export function siteServers(root: () => string) {
  return {
    node: async (): Promise<SiteServer> => {
      const s = await startHttpServer({ root: root() });
      return { url: s.url, stop: () => s.stop() };
    },
    nginx: async (): Promise<SiteServer> => {
      const s = await startNginxServer({ root: root() });
      return { url: s.url, stop: () => s.stop() };
    },
    apache: async (): Promise<SiteServer> => {
      const s = await startApacheServer({ root: root() });
      return { url: s.url, stop: () => s.stop() };
    },
    vsftpd: async (): Promise<SiteServer> => {
      const s = await startFtpServerOf('vsftpd', { root: root() });
      return { url: s.url, stop: () => s.stop() };
    },
    'pure-ftpd': async (): Promise<SiteServer> => {
      const s = await startFtpServerOf('pure-ftpd', { root: root() });
      return { url: s.url, stop: () => s.stop() };
    },
    proftpd: async (): Promise<SiteServer> => {
      const s = await startFtpServerOf('proftpd', { root: root() });
      return { url: s.url, stop: () => s.stop() };
    },
  } as const;
}
