import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror } from '../../../electron/engine/mirror';
import { FTP_SERVER_KINDS, generateMirror, startApacheServer, startFtpServer, startFtpServerOf, startHttpServer, startNginxServer, startTcpProxy, type FtpServer, type HttpServerOptions } from '../../harness';
import { cutFtpBookOnce, fetchFtpBookAgain, listFiles, makeCtx, removeAll, tempDir } from './helpers';

/**
 * A `.part` must only be continued onto the file it was started from: when the remote file changes
 * between the cut and the resume, the download starts over instead of splicing two versions.
 */

let work: string;
beforeAll(async () => {
  work = await tempDir('resume-changed');
});
afterAll(async () => {
  await removeAll(work);
});

const REL = '3/0/0/3000/3000-0.txt';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Deterministic text of `size` bytes, different per `seed`. */
const body = (size: number, seed: string) => Buffer.from(`${seed} `.repeat(Math.ceil(size / (seed.length + 1))).slice(0, size));

/** A one-book mirror (book 3000, 200,000 bytes) in its own folder; mtime set `ageS` seconds back. */
async function oneBookMirror(name: string, ageS: number): Promise<string> {
  const gen = await generateMirror(path.join(work, name), [{ ebook: 3000, files: ['-0.txt'], sizeBytes: 200_000 }]);
  // Exactly 200,000 bytes, so a changed version can keep the size (only a validator tells them apart).
  await writeFile(path.join(gen.root, REL), body(200_000, 'original'));
  await setAge(path.join(gen.root, REL), ageS);
  return gen.root;
}

async function setAge(file: string, ageS: number): Promise<void> {
  const t = new Date(Date.now() - ageS * 1000);
  await utimes(file, t, t);
}

/** Book 3000 cut at 60 kB on Node's server (`server` options), the remote file then replaced by `changed` (half an hour old), and fetched again: the requests of that second fetch. */
async function cutChangeResume(name: string, server: Partial<HttpServerOptions>, changed: Buffer) {
  // An hour old, so Last-Modified is a strong validator (the response's Date is much later).
  const root = await oneBookMirror(name, 3600);
  const http = await startHttpServer({ root, ...server });
  const mirror = openMirror(http.url, { timeoutMs: 5000 });
  try {
    const raw = path.join(work, `raw-${name}`);
    const s = mirror.openSession(0);
    http.hooks.cutBody(`/${REL}`, 60_000);
    const first = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
    expect((first as FanoutError).retryable).toBe(true);
    expect(await listFiles(raw)).toEqual(['3000-0.txt.part', '3000-0.txt.part.meta']);

    await writeFile(path.join(root, REL), changed);
    await setAge(path.join(root, REL), 1800); // a new version, half an hour old
    const n0 = http.requests.length;
    const r = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() });
    expect(r).toMatchObject({ resumedFrom: 0, transferredBytes: changed.length, bytes: changed.length });
    expect(r.sha256).toBe(sha(changed));
    expect(await listFiles(raw)).toEqual(['3000-0.txt']);
    await s.close();
    return http.requests.slice(n0);
  } finally {
    await mirror.close();
    await http.stop();
  }
}

describe('HTTP: If-Range restarts a changed file', () => {
  it('ETag: the resume sends If-Range with the ETag; the changed file comes back whole (200)', async () => {
    const reqs = await cutChangeResume('etag', {}, body(200_000, 'changed'));
    expect(reqs).toHaveLength(1);
    expect(reqs[0]).toMatchObject({ status: 200, range: expect.stringMatching(/^bytes=\d+-$/), ifRange: expect.stringMatching(/^"[0-9a-f]+-[0-9a-f]+"$/) });
  });

  it('Last-Modified (no ETag): If-Range carries the date', async () => {
    const reqs = await cutChangeResume('lastmod', { etag: false }, body(200_000, 'dated'));
    expect(reqs).toHaveLength(1);
    expect(reqs[0]!.status).toBe(200);
    expect(Date.parse(reqs[0]!.ifRange ?? '')).not.toBeNaN();
  });

  it('a server that ignores If-Range: a 206 with another ETag is not appended', async () => {
    const reqs = await cutChangeResume('ignores-etag', { ifRange: false }, body(200_000, 'same-size'));
    expect(reqs.map((q) => q.status)).toEqual([206, 200]);
    expect(reqs[1]!.range).toBeNull();
  });

  it('a server that ignores If-Range and sends no ETag: a 206 of another size is not appended', async () => {
    const reqs = await cutChangeResume('ignores-size', { ifRange: false, etag: false }, body(250_000, 'longer'));
    expect(reqs.map((q) => q.status)).toEqual([206, 200]);
  });
});

describe('HTTP: a part whose .part.meta records only a size is not resumed (nothing to send in If-Range)', () => {
  // A meta with a size and no validator: a server that sends no ETag and a Last-Modified too recent
  // to be strong, or an older version's or another tool's meta. A Range with no If-Range is answered
  // 206 from the changed file, and the part spliced to it has the recorded size: it was landed ok.
  it('Node\'s server, no ETag, Last-Modified not a strong validator: the cut part records only a size; the changed file (same size) comes back whole', async () => {
    // Modified "in the future": the response's Date is not a second after Last-Modified, so the date is no validator.
    const root = await oneBookMirror('size-only', -3600);
    const http = await startHttpServer({ root, etag: false });
    const mirror = openMirror(http.url, { timeoutMs: 5000 });
    try {
      const raw = path.join(work, 'raw-size-only');
      const s = mirror.openSession(0);
      http.hooks.cutBody(`/${REL}`, 60_000);
      const first = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
      expect((first as FanoutError).retryable).toBe(true);
      expect(JSON.parse(await readFile(path.join(raw, '3000-0.txt.part.meta'), 'utf8'))).toEqual({ size: 200_000 });

      const changed = body(200_000, 'same-size-other-bytes');
      await writeFile(path.join(root, REL), changed);
      await setAge(path.join(root, REL), -3600);
      const n0 = http.requests.length;
      const r = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() });
      expect(r).toMatchObject({ resumedFrom: 0, transferredBytes: changed.length, bytes: changed.length });
      expect(r.sha256).toBe(sha(changed));
      expect(http.requests.slice(n0).map((q) => ({ status: q.status, range: q.range }))).toEqual([{ status: 200, range: null }]);
      expect(await listFiles(raw)).toEqual(['3000-0.txt']);
      await s.close();
    } finally {
      await mirror.close();
      await http.stop();
    }
  });

  it.each(['nginx', 'apache'] as const)('%s (strong ETag and Last-Modified): a kept part with a size-only meta is replaced by the whole file, not resumed onto', async (server) => {
    const root = await oneBookMirror(`size-only-${server}`, 3600);
    const srv = server === 'nginx' ? await startNginxServer({ root }) : await startApacheServer({ root });
    const mirror = openMirror(srv.url, { timeoutMs: 5000 });
    try {
      const raw = path.join(work, `raw-size-only-${server}`);
      await mkdir(raw, { recursive: true });
      const current = await readFile(path.join(root, REL));
      // The start of an earlier version of the same size; its meta recorded the size alone.
      await writeFile(path.join(raw, '3000-0.txt.part'), body(200_000, 'earlier-version').subarray(0, 60_000));
      await writeFile(path.join(raw, '3000-0.txt.part.meta'), JSON.stringify({ size: 200_000 }));
      const s = mirror.openSession(0);
      const r = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() });
      expect(r).toMatchObject({ resumedFrom: 0, bytes: current.length });
      expect(r.sha256).toBe(sha(current));
      expect(await listFiles(raw)).toEqual(['3000-0.txt']);
      await s.close();
    } finally {
      await mirror.close();
      await srv.stop();
    }
  });

  it('a server that ignores If-Range and sends no ETag: a 206 whose Last-Modified is not the recorded one is not appended', async () => {
    // Same size, so the 206's total cannot tell; only the date can.
    const reqs = await cutChangeResume('ignores-lastmod', { ifRange: false, etag: false }, body(200_000, 'same-size-redated'));
    expect(reqs.map((q) => q.status)).toEqual([206, 200]);
    expect(reqs[1]!.range).toBeNull();
  });
});

describe('FTP: the listing size decides whether a .part is continued', () => {
  let root: string;
  let ftp: FtpServer;
  beforeAll(async () => {
    root = await oneBookMirror('ftp', 0);
    ftp = await startFtpServer({ root });
  });
  afterAll(async () => {
    await ftp?.stop();
  });

  async function cutThenChange(name: string, changed: Buffer, keepTime = false) {
    await writeFile(path.join(root, REL), body(200_000, `original-${name}`));
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true, dropAfterBytes: 60_000, dropTimes: 1 });
    const mirror = openMirror(`ftp://${proxy.hostPort}`, { timeoutMs: 5000 });
    const raw = path.join(work, `raw-ftp-${name}`);
    try {
      const s = mirror.openSession(0);
      const first = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
      expect((first as FanoutError).retryable).toBe(true);
      expect(await listFiles(raw)).toEqual(['3000-0.txt.part', '3000-0.txt.part.meta']);
      const { mtime } = await stat(path.join(root, REL));
      await writeFile(path.join(root, REL), changed);
      if (keepTime) await utimes(path.join(root, REL), mtime, mtime);
      const r = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() });
      await s.close();
      return { r, raw };
    } finally {
      await mirror.close();
      await proxy.stop();
    }
  }

  it('restarts when the remote file grew (the part would have been spliced)', async () => {
    const changed = body(260_000, 'grown');
    const { r, raw } = await cutThenChange('grew', changed);
    expect(r).toMatchObject({ resumedFrom: 0, transferredBytes: changed.length });
    expect(r.sha256).toBe(sha(changed));
    expect(await listFiles(raw)).toEqual(['3000-0.txt']);
  });

  it('restarts when the remote file is now smaller than the part', async () => {
    const changed = body(30_000, 'shrunk');
    const { r } = await cutThenChange('shrank', changed);
    expect(r).toMatchObject({ resumedFrom: 0, transferredBytes: changed.length });
    expect(r.sha256).toBe(sha(changed));
  });

  it('continues the part when size and MDTM are unchanged (the guessed N-0.txt records MDTM at no extra round trip)', async () => {
    const same = body(200_000, 'original-same');
    const { r, raw } = await cutThenChange('same', same, true);
    expect(r.resumedFrom).toBeGreaterThan(0);
    expect(r.resumedFrom + r.transferredBytes).toBe(same.length);
    expect(r.sha256).toBe(sha(same));
    expect(await listFiles(raw)).toEqual(['3000-0.txt']);
  });

  it('restarts a part left without its .meta when it is larger than the remote file', async () => {
    const raw = path.join(work, 'raw-ftp-nometa');
    const remote = body(50_000, 'small-remote');
    await writeFile(path.join(root, REL), remote);
    await mkdir(raw, { recursive: true });
    await writeFile(path.join(raw, '3000-0.txt.part'), body(80_000, 'old-part'));
    const mirror = openMirror(ftp.url, { timeoutMs: 5000 });
    try {
      const s = mirror.openSession(0);
      const r = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() });
      expect(r).toMatchObject({ resumedFrom: 0, transferredBytes: remote.length });
      expect(r.sha256).toBe(sha(remote));
      await s.close();
    } finally {
      await mirror.close();
    }
  });
});

describe.each(FTP_SERVER_KINDS)('FTP: a kept part whose meta records no modification time is restarted (%s)', (kind) => {
  // The FTP sibling of the size-only HTTP meta: the listing's size is the same, only the date could
  // tell an earlier version from the file now there, and the meta has none.
  it('the same-size file now on the server comes whole, not spliced after the part', async () => {
    const root = await oneBookMirror(`ftp-size-only-${kind}`, 3600);
    const ftp = await startFtpServerOf(kind, { root });
    const mirror = openMirror(ftp.url, { timeoutMs: 5000 });
    try {
      const raw = path.join(work, `raw-ftp-size-only-${kind}`);
      await mkdir(raw, { recursive: true });
      await writeFile(path.join(raw, '3000-0.txt.part'), body(200_000, 'earlier-version').subarray(0, 60_000));
      await writeFile(path.join(raw, '3000-0.txt.part.meta'), JSON.stringify({ size: 200_000 }));
      const s = mirror.openSession(0);
      const r = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() });
      expect(r).toMatchObject({ resumedFrom: 0, bytes: 200_000 });
      expect(r.sha256).toBe(sha(body(200_000, 'original')));
      expect(await listFiles(raw)).toEqual(['3000-0.txt']);
      await s.close();
    } finally {
      await mirror.close();
      await ftp.stop();
    }
  });
});

describe('FTP: a symlinked book (the listing gives the link length, not the size)', () => {
  let root: string;
  let ftp: FtpServer;
  const LINK = '4/0/0/4000/4000-0.txt';
  const DATA = '4/0/0/4000/4000-0.data';
  beforeAll(async () => {
    const gen = await generateMirror(path.join(work, 'ftp-link'), [{ ebook: 4000, files: [] }]);
    root = gen.root;
    await mkdir(path.join(root, '4/0/0/4000'), { recursive: true });
    await writeFile(path.join(root, DATA), body(200_000, 'linked'));
    await symlink('4000-0.data', path.join(root, LINK));
    ftp = await startFtpServer({ root });
  });
  afterAll(async () => {
    await ftp?.stop();
  });

  it('downloads it whole (SIZE asked), and restarts a part when the target changed size', async () => {
    const mirror = openMirror(ftp.url, { timeoutMs: 5000 });
    try {
      const s = mirror.openSession(0);
      const whole = await s.fetchBook(4000, { rawDir: path.join(work, 'raw-link'), ctx: makeCtx() });
      expect(whole).toMatchObject({ remoteName: '4000-0.txt', bytes: 200_000 });
      expect(whole.sha256).toBe(sha(body(200_000, 'linked')));
      await s.close();
    } finally {
      await mirror.close();
    }

    // Two data connections may be cut: the first one is the guess of `4000-0.txt` sent with the STAT,
    // kept as the `.part` (the listing gives no size for a symlink: ftp-batch.ts keepGuess), whose
    // count is not SIZE once cut (restarted); the second is the one-book path's transfer.
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true, dropAfterBytes: 60_000, dropTimes: 2 });
    const cut = openMirror(`ftp://${proxy.hostPort}`, { timeoutMs: 5000 });
    try {
      const raw = path.join(work, 'raw-link-changed');
      const s = cut.openSession(0);
      const first = await s.fetchBook(4000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
      expect((first as FanoutError).retryable).toBe(true);
      // The listing gives neither size nor date of the target: SIZE and MDTM are recorded.
      expect(JSON.parse(await readFile(path.join(raw, '4000-0.txt.part.meta'), 'utf8'))).toEqual({ size: 200_000, modified: expect.stringMatching(/^mdtm:\d{14}$/) });
      const changed = body(230_000, 'relinked');
      await writeFile(path.join(root, DATA), changed);
      const r = await s.fetchBook(4000, { rawDir: raw, ctx: makeCtx() });
      expect(r).toMatchObject({ resumedFrom: 0, transferredBytes: changed.length });
      expect(r.sha256).toBe(sha(changed));
      await s.close();
    } finally {
      await cut.close();
      await proxy.stop();
    }
  });
});

describe.each(FTP_SERVER_KINDS)('FTP: a same-size rewrite within the listing\'s minute is not resumed onto (%s)', (kind) => {
  // The listing's date has minute resolution: a same-size rewrite within that minute looks like the
  // file the part was started from. MDTM (seconds) is recorded when the part starts and asked again
  // before resuming. A book of 2.5 MB: its meta is written when the transfer starts.
  const BIG = 2_500_000;
  /** A minute boundary an hour back: both versions are dated within that minute. */
  const minute = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;

  // Two cuts: the guessed `N-0.txt` sent with the STAT may be the first data connection.
  const cutOnce = (name: string) => cutFtpBookOnce({ work, name, kind, rel: REL, data: body(BIG, 'first-version'), mtime: new Date(minute + 5_000), dropTimes: 2 });

  it('the rewritten file (same size, same minute, other seconds) comes whole, byte-exact', async () => {
    const { root, raw, ftp } = await cutOnce(`ftp-same-minute-${kind}`);
    try {
      const changed = body(BIG, 'second-version');
      await writeFile(path.join(root, REL), changed);
      await utimes(path.join(root, REL), new Date(minute + 40_000), new Date(minute + 40_000));
      const r = await fetchFtpBookAgain(ftp, raw);
      expect(r).toMatchObject({ resumedFrom: 0, bytes: BIG });
      expect(r.sha256).toBe(sha(changed));
      expect(sha(await readFile(path.join(raw, '3000-0.txt')))).toBe(sha(changed));
      expect(await listFiles(raw)).toEqual(['3000-0.txt']);
    } finally {
      await ftp.stop();
    }
  });

  it('an unchanged file is still resumed (MDTM recorded when the part started, and the same now)', async () => {
    const { raw, ftp } = await cutOnce(`ftp-same-file-${kind}`);
    try {
      expect(JSON.parse(await readFile(path.join(raw, '3000-0.txt.part.meta'), 'utf8'))).toEqual({ size: BIG, modified: expect.stringMatching(/^mdtm:\d{14}$/) });
      const r = await fetchFtpBookAgain(ftp, raw);
      expect(r.resumedFrom).toBeGreaterThan(0);
      expect(r.resumedFrom + r.transferredBytes).toBe(BIG);
      expect(r.sha256).toBe(sha(body(BIG, 'first-version')));
    } finally {
      await ftp.stop();
    }
  });
});

describe('FTP: a server that refuses MDTM (ProFTPD, `<Limit MDTM> DenyAll` in the folder\'s .ftpaccess)', () => {
  it('a kept part is not resumed: the whole file comes again, the book does not fail', async () => {
    const BIG = 2_500_000;
    const gen = await generateMirror(path.join(work, 'ftp-no-mdtm'), [{ ebook: 3000, files: ['-0.txt'], sizeBytes: 20_000 }]);
    const file = path.join(gen.root, REL);
    await writeFile(file, body(BIG, 'first-version'));
    await setAge(file, 3600);
    const ftp = await startFtpServerOf('proftpd', { root: gen.root });
    const raw = path.join(work, 'raw-ftp-no-mdtm');
    try {
      const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true, dropAfterBytes: 60_000, dropTimes: 2 });
      const cut = openMirror(ftp.urlVia(proxy.hostPort), { timeoutMs: 5000 });
      try {
        const s = cut.openSession(0);
        const first = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
        expect((first as FanoutError).retryable, String(first)).toBe(true);
        await s.close();
      } finally {
        await cut.close();
        await proxy.stop();
      }
      expect(JSON.parse(await readFile(path.join(raw, '3000-0.txt.part.meta'), 'utf8'))).toEqual({ size: BIG, modified: expect.stringMatching(/^mdtm:\d{14}$/) });
      // From now on the server answers MDTM with a refusal (550), the file unchanged.
      await writeFile(path.join(gen.root, '3/0/0/3000/.ftpaccess'), '<Limit MDTM>\n  DenyAll\n</Limit>\n');
      const mirror = openMirror(ftp.url, { timeoutMs: 5000 });
      try {
        const s = mirror.openSession(0);
        const r = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() });
        expect(r).toMatchObject({ resumedFrom: 0, transferredBytes: BIG, bytes: BIG });
        expect(r.sha256).toBe(sha(body(BIG, 'first-version')));
        expect(await listFiles(raw)).toEqual(['3000-0.txt']);
        await s.close();
      } finally {
        await mirror.close();
      }
    } finally {
      await ftp.stop();
    }
  });
});
