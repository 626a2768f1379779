import { createServer, connect, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { FTP_SERVER_KINDS, generateMirror, startFtpServerOf, type FtpServer, type GeneratedMirror, type MirrorBookSpec } from '../../harness';
import { listFiles, makeCtx, removeAll, tempDir } from './helpers';

/**
 * A fresh plain-FTP session writes its first batch (STATs, the first guessed EPSV + RETR) in the
 * same write as its login (ftp-batch-login.ts), on every server of the matrix: the first RETR
 * leaves before the server has answered anything after its banner; the books are byte-identical;
 * a refused login is the same error as a login on its own, leaves nothing on disk; a server's
 * session limit is TOO_MANY_CONNECTIONS, as before.
 */

const SPECS: MirrorBookSpec[] = [
  { ebook: 2000, files: ['-0.txt'], sizeBytes: 20_000 },
  { ebook: 3000, files: ['-0.txt'], sizeBytes: 200_000 },
  { ebook: 5, files: ['-8.txt', '.txt'], sizeBytes: 10_000 },
  { ebook: 77, files: ['-8.zip'], sizeBytes: 30_000 },
];
const BOOKS = [2000, 3000, 5, 77];

/** A relay for control connections that records what went each way, in the order it arrived. */
interface RecordingRelay {
  hostPort: string;
  /** Per connection: its chunks, `>` client to server, `<` server to client. */
  wires: Array<Array<{ dir: '>' | '<'; text: string }>>;
  stop(): Promise<void>;
}

async function startRecordingRelay(targetPort: number): Promise<RecordingRelay> {
  const open = new Set<Socket>();
  const wires: RecordingRelay['wires'] = [];
  const server: Server = createServer((client) => {
    const wire: RecordingRelay['wires'][number] = [];
    wires.push(wire);
    open.add(client);
    const upstream = connect(targetPort, '127.0.0.1');
    upstream.on('data', (chunk: Buffer) => {
      wire.push({ dir: '<', text: chunk.toString('latin1') });
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      wire.push({ dir: '>', text: chunk.toString('latin1') });
      upstream.write(chunk);
    });
    const end = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    hostPort: `127.0.0.1:${port}`,
    wires,
    stop: () => {
      for (const s of open) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Server bytes that arrived after the client's USER and before its first RETR (null: no RETR sent). */
function repliesBeforeFirstRetr(wire: RecordingRelay['wires'][number]): string | null {
  const sent = (i: number) => wire.slice(0, i + 1).filter((c) => c.dir === '>').map((c) => c.text).join('');
  const userAt = wire.findIndex((_, i) => sent(i).includes('USER '));
  const retrAt = wire.findIndex((_, i) => sent(i).includes('RETR '));
  if (userAt < 0 || retrAt < 0) return null;
  return wire.slice(userAt, retrAt + 1).filter((c) => c.dir === '<').map((c) => c.text).join('');
}

/** The same URL with another user and password. */
function withLogin(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString().replace(/\/$/, '');
}

/** The files under `dir` ([] when it was never made). */
async function filesIn(dir: string): Promise<string[]> {
  return listFiles(dir).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  });
}

let work: string;
let gen: GeneratedMirror;
beforeAll(async () => {
  work = await tempDir('ftp-login-batch');
  gen = await generateMirror(path.join(work, 'mirror'), SPECS);
});
afterAll(async () => {
  await removeAll(work);
});

describe.each(FTP_SERVER_KINDS)('FTP login and first batch in one write, %s', (kind) => {
  let ftp: FtpServer;
  let relay: RecordingRelay;
  beforeAll(async () => {
    ftp = await startFtpServerOf(kind, { root: gen.root });
    relay = await startRecordingRelay(ftp.port);
  });
  afterAll(async () => {
    await relay?.stop();
    await ftp?.stop();
  });

  it('the first RETR goes out before any reply to the login; every book byte-identical (batch and one book)', async () => {
    const mirror = openMirror(ftp.urlVia(relay.hostPort), { timeoutMs: 5000 });
    const before = relay.wires.length;
    try {
      const s = mirror.openSession(0);
      const results = await s.fetchBooks(BOOKS, { rawDir: path.join(work, `raw-${kind}`), ctx: makeCtx(), onFetched: async () => {} });
      for (const [i, r] of results.entries()) {
        expect(r, `ebook ${BOOKS[i]}`).not.toBeInstanceOf(FanoutError);
        expect((r as FetchedBook).sha256, `ebook ${BOOKS[i]}`).toBe(gen.books.get(BOOKS[i]!)!.files[0]!.textSha256);
      }
      await s.close();
      // fetchBook is a batch of one: the same on a fresh session.
      const one = mirror.openSession(1);
      const book = await one.fetchBook(3000, { rawDir: path.join(work, `raw-one-${kind}`), ctx: makeCtx() });
      expect(book.sha256).toBe(gen.books.get(3000)!.files[0]!.textSha256);
      await one.close();
    } finally {
      await mirror.close();
    }
    // One per session, and on pure-ftpd (lock-step) maybe one more: the batch re-run after its probe went out of step.
    const wires = relay.wires.slice(before);
    expect(wires.length).toBeGreaterThanOrEqual(2);
    expect(wires.length).toBeLessThanOrEqual(kind === 'pure-ftpd' ? 3 : 2);
    for (const wire of wires) expect(repliesBeforeFirstRetr(wire)).toBe('');
  });

  it('a refused login is the same error as a login on its own, names the host, and leaves nothing on disk', async () => {
    // pure-ftpd has one user (a wrong password, its 530 comes seconds late); vsftpd and ProFTPD take
    // any password for anonymous: an unknown user instead.
    const url = kind === 'pure-ftpd' ? withLogin(ftp.url, 'fanout', 'not-the-password') : withLogin(ftp.url, 'no-such-user', 'x');
    const raw = path.join(work, `wrong-${kind}`);
    const mirror = openMirror(url, { timeoutMs: 8000 });
    try {
      const batchErr = await mirror.openSession(0).fetchBooks(BOOKS, { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} }).catch((e: unknown) => e);
      const oneErr = await mirror.openSession(1).fetchBook(2000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
      // The catalog's path logs in on its own (no batch): today's error.
      const aloneErr = await mirror.openSession(2).fetchFile('GUTINDEX.ALL', { dest: path.join(work, `catalog-${kind}`) }).catch((e: unknown) => e);
      for (const e of [batchErr, oneErr, aloneErr]) {
        expect(e).toBeInstanceOf(FanoutError);
        expect((e as FanoutError).code).toBe('AUTH_FAILED');
        expect((e as FanoutError).message).toMatch(/^FTP 530: /);
        expect((e as FanoutError).message).toBe((aloneErr as FanoutError).message);
        expect((e as FanoutError).context.host).toBe('127.0.0.1');
      }
      expect(await filesIn(raw)).toEqual([]);
    } finally {
      await mirror.close();
    }
  });

  it('a server at its session limit refuses a fresh session: TOO_MANY_CONNECTIONS; the logged-in one goes on', async () => {
    const limited = await startFtpServerOf(kind, { root: gen.root, maxPerIp: 2 });
    const mirror = openMirror(limited.url, { timeoutMs: 5000 });
    try {
      const rawA = path.join(work, `lim-a-${kind}`);
      const sessions = [mirror.openSession(0), mirror.openSession(1)];
      for (const s of sessions) expect((await s.fetchBook(2000, { rawDir: rawA, ctx: makeCtx() })).sha256).toBe(gen.books.get(2000)!.files[0]!.textSha256);
      const rawB = path.join(work, `lim-b-${kind}`);
      const refused = await mirror.openSession(2).fetchBooks([3000, 5], { rawDir: rawB, ctx: makeCtx(), onFetched: async () => {} }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(FanoutError);
      expect((refused as FanoutError).code).toBe('TOO_MANY_CONNECTIONS');
      expect(await filesIn(rawB)).toEqual([]);
      const b = await sessions[0]!.fetchBook(5, { rawDir: rawA, ctx: makeCtx() });
      expect(b.sha256).toBe(gen.books.get(5)!.files[0]!.textSha256);
    } finally {
      await mirror.close();
      await limited.stop();
    }
  });
});
