import { appendFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMaildir, type MaildirMessage } from '../../harness/dovecot-maildir';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { IndexRecord } from '../../../electron/engine/mail/index-file';
import type { JobSummary } from '../../../shared/events';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectArchived, expectFlagsAndDates, readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { approximateSizes, responseBytes, startResponseRelay, uidsOf, type ResponseRelay, type ServerResponse } from './response-relay';

/**
 * A crash between a message file's rename and its index line leaves an "orphan": a whole `.eml`
 * (written to a temp name, fsync'd, renamed) that no index line names. The next run takes it back
 * without fetching its body when the server proves it whole. Before session 19 the proof was its
 * RFC822.SIZE alone, so on a server that only approximates the size (Exchange; here a relay adds 3
 * to every RFC822.SIZE) every orphan was fetched again; now the server's bytes at the file's end
 * prove it (a FETCH of its last bytes and one more: the message ends where the file ends, with the
 * same bytes), and its line keeps the size the server announced. The crash is made deterministic as
 * in crash-and-cli: the last index lines are removed after a complete run.
 * Siblings: exact sizes (the size alone, no extra FETCH), a server splitting the adopt FETCH's answer
 * over several responses (each row was adopted on its own: a second line, flags or dates lost), an
 * empty message (Dovecot).
 */
const SERVERS = ['dovecot', 'cyrus', 'courier'] as const;

/** UIDs whose whole body was asked for (`BODY.PEEK[]` without a partial range). */
function wholeBodyAsks(commands: readonly string[]): number[] {
  const out: number[] = [];
  for (const c of commands) {
    const m = /UID FETCH (\S+) \((.*)\)$/i.exec(c);
    if (m && /BODY\.PEEK\[\](?!<)/i.test(m[2]!)) out.push(...uidsOf(m[1]!));
  }
  return out.sort((a, b) => a - b);
}

/** Commands asking for a partial range of a body (`BODY.PEEK[]<…>`). */
const partialAsks = (commands: readonly string[]) => commands.filter((c) => /UID FETCH \S+ \(.*BODY\.PEEK\[\]</i.test(c));

/**
 * A server sending a message's FLAGS in a response of their own, after the rest (RFC 3501 7.4.2
 * allows it): every FETCH answer with FLAGS and something else is split in two.
 */
let flagsSplit = 0;
function flagsApart(r: ServerResponse): Buffer {
  const head = /^\* (\d+) FETCH \(/i.exec(r.texts[0] ?? '');
  const flags = /(?<=[( ])FLAGS \(([^)]*)\) ?/i.exec(r.texts[0] ?? '');
  const uid = /[( ]UID (\d+)/i.exec(r.texts.join(''));
  if (!head || !flags || !uid) return responseBytes(r);
  const rest = r.texts[0]!.replace(flags[0], '').replace(/ \)\r\n$/, ')\r\n');
  if (/^\* \d+ FETCH \((UID \d+)?\)\r\n$/i.test(rest)) return responseBytes(r);
  flagsSplit++;
  const first = responseBytes({ texts: [rest, ...r.texts.slice(1)], literals: r.literals });
  return Buffer.concat([first, Buffer.from(`* ${head[1]} FETCH (UID ${uid[1]} FLAGS (${flags[1]}))\r\n`, 'latin1')]);
}

type Damage = { whole: IndexRecord[]; torn: IndexRecord | null; otherTail: IndexRecord | null };

/**
 * A crash's leftovers in `dir`: the last `n` index lines lost (or those `which` picks; their files stay). With `damage`,
 * one of them torn (half its bytes) and one at its length with other last bytes: neither is the
 * message, both are fetched again.
 */
function loseLines(dir: string, n: number, damage: boolean, which?: (r: IndexRecord) => boolean): Damage {
  const index = readIndex(dir);
  const lost = which ? index.filter(which) : index.slice(-n);
  writeFileSync(join(dir, 'index.jsonl'), index.filter((r) => !lost.includes(r)).map((r) => `${JSON.stringify(r)}\n`).join(''));
  if (!damage) return { whole: lost, torn: null, otherTail: null };
  const [torn, otherTail, ...whole] = lost;
  truncateSync(join(dir, torn!.file), Math.floor(torn!.size / 2));
  const bytes = readFileSync(join(dir, otherTail!.file));
  bytes.fill(0x78, Math.max(0, bytes.length - 8));
  writeFileSync(join(dir, otherTail!.file), bytes);
  return { whole, torn: torn!, otherTail: otherTail! };
}

describe.each(SERVERS)('mail: files a crash left without their index line (%s)', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let path = '';
  let small = '';
  const relays: ResponseRelay[] = [];
  const COUNT = 12;

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), {
      tmpPrefix: `fanout-orphan-${entry}-`,
      folders: (s) => [{ path: serverPath(s, 'Orphans'), count: COUNT }],
      seed: 73,
      crlf: true,
    });
    path = serverPath(bed.srv, 'Orphans');
    // Messages under 257 bytes: the proof's origin is 0 (HE s19's coverage).
    small = serverPath(bed.srv, 'Small');
    await bed.admin.mailboxCreate(small);
    for (let i = 0; i < 4; i++) await bed.admin.append(small, Buffer.from(`From: a@example.org\r\nSubject: s${i}\r\n\r\nhi ${i}\r\n`), i % 2 ? ['\\Seen'] : [], new Date(Date.UTC(2021, 0, 1 + i)));
  }, 120_000);

  afterAll(async () => {
    for (const r of relays) await r.stop();
    await bed?.stop();
  });

  async function relayed(rewrite: (r: ServerResponse) => Buffer): Promise<{ relay: ResponseRelay; account: MailAccount }> {
    const relay = await startResponseRelay(bed.srv.port, rewrite);
    relays.push(relay);
    return { relay, account: bed.account({ host: '127.0.0.1', port: relay.port }) };
  }

  /** Archives the folder through `first`, loses index lines, re-runs through `second`. */
  async function crashAndRerun(label: string, first: (r: ServerResponse) => Buffer, second: (r: ServerResponse) => Buffer, damage: boolean, more?: (dir: string, whole: IndexRecord[]) => void) {
    const a = await relayed(first);
    const b = await relayed(second);
    const outDir = join(bed.base, label);
    rmSync(outDir, { recursive: true, force: true });
    const run = (account: MailAccount, warnings: string[] = []) =>
      runMailJob({ kind: 'mail', account, outDir, connections: 1, strategy: 'adaptive', folders: [path], timeoutMs: 20_000 }, createJobControl((e) => {
        if (e.kind === 'job:warning') warnings.push(e.message);
      }));
    const s1 = await run(a.account);
    expect(s1.failures).toEqual([]);
    expect(s1.itemsDone).toBe(COUNT);
    // Both relays stand for the same account (host and user): one archive.
    const dir = archivedFolderDir(accountDir({ outDir, account: a.account }), path);
    const before = new Map(readIndex(dir).map((r) => [r.uid, r]));
    const lost = loseLines(dir, 4, damage);
    more?.(dir, lost.whole);
    b.relay.commands.length = 0;
    const warnings: string[] = [];
    const s2 = await run(b.account, warnings);
    return { s2, dir, before, lost, commands: [...b.relay.commands], warnings, rerun: () => run(b.account) };
  }

  const tally = (s: JobSummary) => s.mailFolders?.map((t) => [t.onServer, t.archivedBefore, t.fetched, t.vanished]);

  async function expectWhole(dir: string, before: Map<number, IndexRecord>, adopted: readonly IndexRecord[], approx: boolean) {
    expect(await expectArchived(bed.admin, path, dir)).toBe(COUNT);
    await expectFlagsAndDates(bed.admin, path, dir);
    const index = readIndex(dir);
    expect(index.length, 'one line per message').toBe(COUNT);
    for (const r of adopted) {
      const now = index.find((x) => x.uid === r.uid)!;
      expect(now.sha256).toBe(before.get(r.uid)!.sha256);
      // The size the server announced, as a fetched message's line says it.
      expect(now.serverSize, `UID ${r.uid} serverSize`).toBe(approx ? now.size + 3 : undefined);
    }
  }

  it('approximate RFC822.SIZE: whole orphans are taken back without their bodies; a torn one and one with other last bytes are fetched again', async () => {
    const { s2, dir, before, lost, commands, warnings, rerun } = await crashAndRerun('approx', approximateSizes(3), approximateSizes(3), true);
    expect(s2.failures).toEqual([]);
    expect(s2.status).toBe('succeeded');
    expect(wholeBodyAsks(commands)).toEqual([lost.torn!.uid, lost.otherTail!.uid].sort((x, y) => x - y));
    expect(tally(s2)).toEqual([[COUNT, COUNT - 2, 2, 0]]);
    expect(warnings.join('\n')).toMatch(/2 message\(s\) found on disk without an index line .* recovered/);
    await expectWhole(dir, before, lost.whole, true);
    expect((await rerun()).itemsDone).toBe(0);
  }, 120_000);

  it('exact RFC822.SIZE: whole orphans are taken back, no body fetched; a torn one and one at its length with other last bytes (which the size alone let through) are fetched again', async () => {
    const { s2, dir, before, lost, commands } = await crashAndRerun('exact', responseBytes, responseBytes, true);
    expect(s2.failures).toEqual([]);
    expect(wholeBodyAsks(commands)).toEqual([lost.torn!.uid, lost.otherTail!.uid].sort((x, y) => x - y));
    expect(tally(s2)).toEqual([[COUNT, COUNT - 2, 2, 0]]);
    // The proof: one FETCH of the last bytes per file length (the four orphans' lengths differ).
    expect(partialAsks(commands).length).toBe(new Set([lost.torn!.size >> 1, lost.otherTail!.size, ...lost.whole.map((r) => r.size)]).size);
    await expectWhole(dir, before, lost.whole, false);
  }, 120_000);

  it('an empty file left for a message, the proof\'s answer without its body item (a FLAGS row only): not taken as an empty message, fetched', async () => {
    // A server answering the tail FETCH with a row of the UID but no BODY[]<n> (here: the body item dropped).
    const noBody = (r: ServerResponse) => {
      const head = /^\* (\d+) FETCH \(.*BODY\[\]<\d+> \{\d+\}\r\n$/i.exec(r.texts[0] ?? '');
      const uid = /[( ]UID (\d+)/i.exec(r.texts.join(''));
      return head && uid ? Buffer.from(`* ${head[1]} FETCH (UID ${uid[1]} FLAGS (\\Seen))\r\n`, 'latin1') : responseBytes(r);
    };
    const { s2, dir, lost, commands } = await crashAndRerun('no-body', responseBytes, noBody, false, (d, whole) => writeFileSync(join(d, whole[0]!.file), ''));
    expect(s2.failures).toEqual([]);
    expect(partialAsks(commands).length).toBeGreaterThan(0);
    expect(wholeBodyAsks(commands)).toEqual(lost.whole.map((r) => r.uid).sort((x, y) => x - y));
    expect(await expectArchived(bed.admin, path, dir)).toBe(COUNT);
  }, 120_000);

  it('orphans longer than their message (600 bytes more: the proof\'s origin past its end; 10 more: inside it): fetched again, the folder not failed', async () => {
    const grow = (d: string, whole: IndexRecord[]) => {
      appendFileSync(join(d, whole[0]!.file), Buffer.alloc(600, 0x78));
      appendFileSync(join(d, whole[1]!.file), Buffer.alloc(10, 0x78));
    };
    const { s2, dir, before, lost, commands } = await crashAndRerun('longer', responseBytes, responseBytes, false, grow);
    expect(s2.failures).toEqual([]);
    expect(wholeBodyAsks(commands)).toEqual([lost.whole[0]!.uid, lost.whole[1]!.uid].sort((x, y) => x - y));
    expect(tally(s2)).toEqual([[COUNT, COUNT - 2, 2, 0]]);
    await expectWhole(dir, before, lost.whole.slice(2), false);
  }, 120_000);

  it('orphans of messages under 257 bytes (the proof from byte 0): taken back, no body fetched', async () => {
    const { relay, account } = await relayed(responseBytes);
    const outDir = join(bed.base, 'small');
    const run = () => runMailJob({ kind: 'mail', account, outDir, connections: 1, strategy: 'adaptive', folders: [small], timeoutMs: 20_000 }, createJobControl());
    expect((await run()).itemsDone).toBe(4);
    const dir = archivedFolderDir(accountDir({ outDir, account }), small);
    const index = readIndex(dir);
    expect(index.every((r) => r.size < 257)).toBe(true);
    writeFileSync(join(dir, 'index.jsonl'), index.slice(0, 1).map((r) => `${JSON.stringify(r)}\n`).join(''));
    relay.commands.length = 0;
    const s2 = await run();
    expect(s2.failures).toEqual([]);
    expect(wholeBodyAsks(relay.commands)).toEqual([]);
    expect(tally(s2)).toEqual([[4, 4, 0, 0]]);
    expect(readIndex(dir).length).toBe(4);
    expect(await expectArchived(bed.admin, small, dir)).toBe(4);
  }, 120_000);

  it.each([false, true])('the adopt FETCH\'s answer split over two responses (FLAGS apart): each orphan taken back once, with its flags and INTERNALDATE; approximate sizes: %s', async (approx) => {
    const rewrite = approx ? (r: ServerResponse) => flagsApart({ ...r, texts: r.texts.map((t) => t.replace(/RFC822\.SIZE (\d+)/g, (_m, n: string) => `RFC822.SIZE ${Number(n) + 3}`)) }) : flagsApart;
    flagsSplit = 0;
    const { s2, dir, before, lost, commands } = await crashAndRerun(`split-${approx}`, approx ? approximateSizes(3) : responseBytes, rewrite, false);
    expect(flagsSplit, 'answers split').toBeGreaterThanOrEqual(4);
    expect(s2.failures).toEqual([]);
    expect(wholeBodyAsks(commands)).toEqual([]);
    expect(tally(s2)).toEqual([[COUNT, COUNT, 0, 0]]);
    await expectWhole(dir, before, lost.whole, approx);
  }, 120_000);
});

/**
 * An empty message (0 bytes: Dovecot serves a Maildir file of 0 bytes, it refuses to APPEND one)
 * left without its line: behind the approximating relay its RFC822.SIZE is 3; the server's bytes
 * from 0 prove the body empty, as the file is.
 */
describe('mail: an empty message\'s orphan (Dovecot)', () => {
  let bed: MailTestBed<DovecotServer>;
  let relay: ResponseRelay;

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot(), { tmpPrefix: 'fanout-orphan-empty-' });
    function* messages(): Generator<MaildirMessage> {
      for (let i = 0; i < 6; i++) {
        const source = i >= 4 ? Buffer.alloc(0) : Buffer.from(`From: a@example.org\r\nSubject: m${i}\r\n\r\nbody ${i}\r\n`);
        yield { source, date: new Date(Date.UTC(2020, 0, 1 + i)), seen: i % 2 === 0 };
      }
    }
    fillMaildir(bed.srv, 'Empties', messages());
    relay = await startResponseRelay(bed.srv.port, approximateSizes(3));
  }, 60_000);

  afterAll(async () => {
    await relay?.stop();
    await bed?.stop();
  });

  it.each([false, true])('taken back, not fetched again; approximate sizes: %s', async (approx) => {
    const account = approx ? bed.account({ host: '127.0.0.1', port: relay.port }) : bed.account();
    const outDir = join(bed.base, `empty-${approx}`);
    const run = () => runMailJob({ kind: 'mail', account, outDir, connections: 1, strategy: 'adaptive', folders: ['Empties'], timeoutMs: 10_000 }, createJobControl());
    expect((await run()).itemsDone).toBe(6);
    const dir = archivedFolderDir(accountDir({ outDir, account }), 'Empties');
    // The two empty messages' lines and one other (lines are appended as writes finish: not in UID order).
    const lost = loseLines(dir, 3, false, (r) => r.size === 0 || r.uid === 1).whole;
    expect(lost.map((r) => r.size === 0).sort()).toEqual([false, true, true]);
    relay.commands.length = 0;
    const s = await run();
    expect(s.failures).toEqual([]);
    expect(s.itemsDone).toBe(0);
    if (approx) expect(wholeBodyAsks(relay.commands)).toEqual([]);
    const index = readIndex(dir);
    expect(index.length).toBe(6);
    for (const r of lost) expect(index.find((x) => x.uid === r.uid)?.serverSize).toBe(approx ? r.size + 3 : undefined);
    expect(await expectArchived(bed.admin, 'Empties', dir)).toBe(6);
  }, 60_000);
});
