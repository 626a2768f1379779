import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';

/** What one probe of a mirror URL found. */
export interface MirrorProbe {
  url: string;
  protocol: string;
  ok: boolean;
  /** TCP connect time, ms: one round trip (SYN, SYN-ACK) to the host. */
  rttMs: number | null;
  /** First answer: `HTTP 200`, the FTP banner's code and text, the rsync greeting. */
  answer: string | null;
  /** Why it failed, for people (Node's or the server's words). */
  error: string | null;
  /** The resolver's code (`ENOTFOUND`, `EAI_AGAIN`) when the host name could not be looked up, else null: decided on, not `error`'s words. */
  lookupFailed: string | null;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'ftp:': 21, 'ftps:': 21, 'rsync:': 873 };

/**
 * Probes one mirror URL, bounded by `timeoutMs` in all: the TCP connect time (the round trip) and
 * the server's first answer (HTTP: a HEAD of the URL's path; FTP: the banner; rsync: the greeting).
 * Never throws; the connection is closed before it resolves.
 */
export async function probeMirror(url: string, opts: { timeoutMs: number; rejectUnauthorized?: boolean }): Promise<MirrorProbe> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url, protocol: '?', ok: false, rttMs: null, answer: null, error: 'not a URL', lookupFailed: null };
  }
  const protocol = u.protocol.replace(/:$/, '');
  if (!(u.protocol in DEFAULT_PORTS)) return { url, protocol, ok: false, rttMs: null, answer: null, error: `${protocol}: not probed`, lookupFailed: null };
  const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol]!;
  const started = performance.now();
  let rttMs: number | null = null;
  const onConnect = () => {
    rttMs ??= Math.round((performance.now() - started) * 10) / 10;
  };
  try {
    const answer = u.protocol === 'http:' || u.protocol === 'https:' ? await headOf(u, opts, onConnect) : await greetingOf(u.hostname, port, opts.timeoutMs, onConnect);
    return { url, protocol, ok: true, rttMs, answer, error: null, lookupFailed: null };
  } catch (err) {
    const { code, syscall } = err as NodeJS.ErrnoException;
    const lookupFailed = syscall === 'getaddrinfo' && typeof code === 'string' ? code : null;
    return { url, protocol, ok: false, rttMs, answer: null, error: (err as Error).message, lookupFailed };
  }
}

/** Probes several URLs, `concurrency` at a time, results in the order given. */
export async function probeMirrors(urls: string[], opts: { timeoutMs: number; concurrency?: number }): Promise<MirrorProbe[]> {
  const results: MirrorProbe[] = new Array(urls.length);
  let next = 0;
  const lane = async () => {
    while (next < urls.length) {
      const i = next++;
      results[i] = await probeMirror(urls[i]!, opts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, urls.length) }, lane));
  return results;
}

function headOf(u: URL, opts: { timeoutMs: number; rejectUnauthorized?: boolean }, onConnect: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, { method: 'HEAD', agent: false, rejectUnauthorized: opts.rejectUnauthorized ?? true, headers: { 'user-agent': 'fanout-mirror-probe' } }, (res) => {
      res.resume();
      req.destroy();
      resolve(`HTTP ${res.statusCode}`);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer in ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('socket', (s: Socket) => s.once('connect', onConnect));
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end();
  });
}

/** The first line a server sends on connecting (FTP banner, rsync greeting). */
function greetingOf(host: string, port: number, timeoutMs: number, onConnect: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let text = '';
    const timer = setTimeout(() => socket.destroy(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', onConnect);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const line = /^[^\r\n]*(?=\r?\n)/.exec(text)?.[0];
      if (line !== undefined || text.length > 512) {
        socket.destroy();
        resolve((line ?? text).slice(0, 120));
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error('closed before it said anything'));
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
