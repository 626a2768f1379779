import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { makeMessage, rng, type FolderFill } from '../../harness/dovecot-fill';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';
import type { JobEvent } from '../../../shared/events';
import { toUidSet } from '../../../electron/engine/mail/uid-set';
import { readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

const FOLDERS: FolderFill[] = [
  { path: 'INBOX', count: 420, big: { count: 2, bytes: 4_000_000 } },
  { path: 'Sent', count: 200 },
  { path: 'Archive', count: 220, big: { count: 1, bytes: 2_000_000 } },
  { path: 'Entwürfe/Größe', count: 100 },
  { path: 'Ελληνικά', count: 60 },
  { path: '../escape', count: 4 },
  { path: 'a/../../b', count: 3 },
  { path: 'CON', count: 2 },
];
const TOTAL = FOLDERS.reduce((n, f) => n + f.count, 0);

interface ServerMessage {
  uid: number;
  source: Buffer;
  flags: string[];
  internalDate: Date;
}

async function serverMessages(client: ImapFlow, path: string): Promise<ServerMessage[]> {
  const mb = await client.mailboxOpen(path, { readOnly: true });
  const out: ServerMessage[] = [];
  if (mb.exists === 0) return out;
  for await (const m of client.fetch('1:*', { uid: true, source: true, flags: true, internalDate: true }, { uid: true })) {
    // \Recent is session state (never archived); the rest must match exactly.
    out.push({ uid: m.uid, source: m.source!, flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(), internalDate: new Date(m.internalDate!) });
  }
  return out;
}

async function allFlags(client: ImapFlow): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of FOLDERS) {
    const mb = await client.mailboxOpen(f.path, { readOnly: true });
    if (mb.exists === 0) continue;
    for await (const m of client.fetch('1:*', { uid: true, flags: true }, { uid: true })) out[`${f.path}:${m.uid}`] = [...(m.flags ?? [])].sort().join(' ');
  }
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function folderDirs(root: string): Record<string, string> {
  return (JSON.parse(readFileSync(join(root, 'folders.json'), 'utf8')) as { dirs: Record<string, string> }).dirs;
}

describe('mail archive against a real Dovecot', () => {
  let srv: DovecotServer;
  let admin: ImapFlow;
  let base: string;
  let out: string;
  let account: MailAccount;
  let bed: MailTestBed<DovecotServer>;
  let root: string;
  let flagsBefore: Record<string, string>;

  const run = async (opts: { connections?: number; strategy?: 'serial' | 'queue' | 'split' | 'adaptive'; abortAfter?: number; folders?: 'all' | string[] } = {}) => {
    const events: JobEvent[] = [];
    const control = createJobControl((e) => events.push(e));
    let written = 0;
    const summary = await runMailJob(
      { kind: 'mail', account, outDir: out, connections: opts.connections ?? 4, strategy: opts.strategy ?? 'adaptive', folders: opts.folders ?? 'all' },
      control,
      {
        limits: { chunkMessages: 50 },
        onMessageWritten: () => {
          written++;
          if (opts.abortAfter !== undefined && written === opts.abortAfter) control.abort();
        },
      },
    );
    return { summary, events, written };
  };

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot({ listescape: true }), { tmpPrefix: 'fanout-mail-', folders: FOLDERS });
    ({ srv, admin, base, out } = bed);
    flagsBefore = await allFlags(admin);
    account = bed.account();
    root = accountDir({ outDir: out, account });
    // 1,009 APPENDs one after the other (each fsync'd by Dovecot): over 120 s at load ~28 (two busy
    // loops + two other vitest runs), where the tests themselves passed. A fill that hangs still fails.
  }, 300_000);

  afterAll(async () => {
    await bed?.stop();
  });

  /** Every message of every folder is in the archive under `rootDir`: byte-identical, indexed, flags and mtime right. Returns the files checked. */
  const expectByteIdentical = async (rootDir: string): Promise<number> => {
    const dirs = folderDirs(rootDir);
    let files = 0;
    for (const f of FOLDERS) {
      const dir = join(rootDir, ...dirs[f.path]!.split('/'));
      const index = readIndex(dir);
      const msgs = await serverMessages(admin, f.path);
      expect(msgs.length).toBe(f.count);
      expect(index.length).toBe(f.count);
      const byUid = new Map(index.map((r) => [r.uid, r]));
      for (const m of msgs) {
        const rec = byUid.get(m.uid)!;
        expect(rec, `${f.path} ${m.uid}`).toBeDefined();
        const file = join(dir, rec.file);
        const data = readFileSync(file);
        expect(data.equals(m.source), `${f.path} UID ${m.uid} differs`).toBe(true);
        expect(rec.sha256).toBe(createHash('sha256').update(m.source).digest('hex'));
        expect(rec.size).toBe(m.source.length);
        expect(rec.flags).toEqual(m.flags);
        expect(Math.abs(statSync(file).mtimeMs - m.internalDate.getTime())).toBeLessThan(1000);
        files++;
      }
    }
    return files;
  };

  it('archives every message byte-identical, with mtime = INTERNALDATE, and changes no flag on the server', async () => {
    const { summary } = await run();
    expect(summary.failures).toEqual([]);
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(TOTAL);

    const dirs = folderDirs(root);
    expect(await expectByteIdentical(root)).toBe(TOTAL);
    // Decoded RFC 2047 subjects and senders in the index.
    const inbox = readIndex(join(root, 'INBOX'));
    expect(inbox.some((r) => r.subject?.includes('Grüße aus München'))).toBe(true);
    expect(inbox.some((r) => r.from?.includes('François Dupont'))).toBe(true);

    // Nothing changed on the server (BODY.PEEK[] and EXAMINE).
    expect(await allFlags(admin)).toEqual(flagsBefore);

    // Nothing outside the output folder, and every folder on its own directory.
    for (const p of walk(base)) expect(relative(root, p).startsWith('..'), p).toBe(false);
    expect(readdirSync(base)).toEqual(['out']);
    const dirValues = Object.values(dirs).map((d) => d.toLowerCase());
    expect(new Set(dirValues).size).toBe(dirValues.length);
    expect(dirs['../escape']).not.toContain('..');
    expect(dirs['Ελληνικά']).toBe('Ελληνικά');
    expect(dirs['Entwürfe/Größe']).toBe('Entwürfe/Größe');
    expect(dirs.CON).toBe('_CON');
  });

  it('one connection, with the whole job\'s write budget in flight (chunks of 250), archives every message byte-identical', async () => {
    const own = mkdtempSync(join(tmpdir(), 'fanout-mail-n1-'));
    try {
      const summary = await runMailJob({ kind: 'mail', account, outDir: own, connections: 1, strategy: 'adaptive' }, createJobControl());
      expect(summary.failures).toEqual([]);
      expect(summary.itemsDone).toBe(TOTAL);
      expect(await expectByteIdentical(accountDir({ outDir: own, account }))).toBe(TOTAL);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('a second run fetches nothing and leaves the archive untouched', async () => {
    // Every file, folders.json included, keeps its size and mtime (nothing is rewritten).
    const stamp = () => walk(root).map((p) => {
      const st = statSync(p);
      return `${relative(root, p)} ${st.size} ${st.mtimeMs}`;
    }).sort();
    const before = stamp();
    const { summary, events, written } = await run();
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(0);
    expect(summary.bytes).toBe(0);
    expect(summary.itemsSkipped).toBe(TOTAL);
    expect(written).toBe(0);
    // No lane ever downloaded, and no message, index or state file was written again.
    const states = events.flatMap((e) => (e.kind === 'job:frame' ? e.frame.spans.map((sp) => sp.state) : []));
    expect(states).not.toContain('downloading');
    expect(stamp()).toEqual(before);
  });

  it('fetches a message added between runs alone, and updates flags changed on the server', async () => {
    const rand = rng(7);
    const date = new Date(Date.UTC(2020, 5, 1, 12));
    const added = await admin.append('Sent', makeMessage(99_999, date, 0, rand), ['\\Seen'], date);
    await admin.mailboxOpen('INBOX');
    await admin.messageFlagsAdd('1', ['\\Flagged', '$Archived'], { uid: true });
    await admin.mailboxClose();
    const { summary } = await run();
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(1);
    const sentIndex = readIndex(join(root, 'Sent'));
    const rec = sentIndex.find((r) => r.uid === (added as { uid: number }).uid)!;
    expect(rec).toBeDefined();
    const server = (await serverMessages(admin, 'Sent')).find((m) => m.uid === rec.uid)!;
    expect(readFileSync(join(root, 'Sent', rec.file)).equals(server.source)).toBe(true);
    const inboxRec = readIndex(join(root, 'INBOX')).find((r) => r.uid === 1)!;
    expect(inboxRec.flags).toEqual(expect.arrayContaining(['\\Flagged', '$Archived']));
    // The index stays one line per message.
    expect(readIndex(join(root, 'INBOX')).length).toBe(420);
  });

  it('an interrupted run resumes with no loss and no duplicate fetch', async () => {
    const rand = rng(11);
    await admin.mailboxCreate('Bulk');
    for (let i = 0; i < 300; i++) {
      const d = new Date(Date.UTC(2015, 0, 1) + i * 86_400_000);
      await admin.append('Bulk', makeMessage(200_000 + i, d, i % 10 === 0 ? 150_000 : 0, rand), [], d);
    }
    const first = await run({ connections: 2, abortAfter: 120 });
    expect(first.summary.status).toBe('cancelled');
    const dir = join(root, folderDirs(root).Bulk!);
    const afterAbort = readdirSync(dir).filter((n) => /^\d+\.eml$/.test(n)).length;
    expect(afterAbort).toBeGreaterThanOrEqual(120);
    expect(afterAbort).toBeLessThan(300);

    // Simulate a kill between rename and index line, plus a temp file left behind.
    const lines = readFileSync(join(dir, 'index.jsonl'), 'utf8').split('\n').filter(Boolean);
    writeFileSync(join(dir, 'index.jsonl'), `${lines.slice(0, -1).join('\n')}\n{"uid": 7, "uidVal`);
    writeFileSync(join(dir, '299.eml.tmp-deadbeef'), 'half a message');
    const indexedBefore = lines.length - 1;

    const second = await run({ connections: 3 });
    expect(second.summary.status).toBe('succeeded');
    // Exactly the missing messages were fetched: no message twice.
    expect(second.summary.itemsDone).toBe(300 - afterAbort);
    expect(second.events.some((e) => e.kind === 'job:warning' && /recovered/.test(e.message))).toBe(true);
    expect(indexedBefore).toBe(afterAbort - 1);
    const names = readdirSync(dir);
    expect(names.some((n) => n.includes('.tmp-'))).toBe(false);
    const index = readIndex(dir);
    expect(index.length).toBe(300);
    expect(new Set(index.map((r) => r.uid)).size).toBe(300);
    for (const m of await serverMessages(admin, 'Bulk')) {
      const rec = index.find((r) => r.uid === m.uid)!;
      expect(readFileSync(join(dir, rec.file)).equals(m.source)).toBe(true);
    }
  });

  it('a UIDVALIDITY change archives a new generation, keeps the old files, duplicates nothing', async () => {
    const dir = join(root, folderDirs(root)['Ελληνικά']!);
    const old = await serverMessages(admin, 'Ελληνικά');
    const oldFiles = readdirSync(dir).filter((n) => n.endsWith('.eml'));
    await admin.mailboxDelete('Ελληνικά');
    await new Promise((r) => setTimeout(r, 1100));
    await admin.mailboxCreate('Ελληνικά');
    for (const m of old) await admin.append('Ελληνικά', m.source, m.flags, m.internalDate);
    const d = new Date(Date.UTC(2024, 1, 2));
    await admin.append('Ελληνικά', makeMessage(300_001, d, 0, rng(3)), [], d);
    const { summary } = await run();
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(1);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { generations: Array<{ uidValidity: string; dir: string }> };
    expect(state.generations.length).toBe(2);
    const gen2 = state.generations[1]!;
    expect(readdirSync(join(dir, gen2.dir)).filter((n) => n.endsWith('.eml')).length).toBe(1);
    for (const f of oldFiles) expect(existsSync(join(dir, f))).toBe(true);
    const index = readIndex(dir).filter((r) => r.uidValidity === gen2.uidValidity);
    expect(index.length).toBe(61);
    const now = await serverMessages(admin, 'Ελληνικά');
    for (const m of now) {
      const rec = index.find((r) => r.uid === m.uid)!;
      expect(readFileSync(join(dir, rec.file)).equals(m.source)).toBe(true);
    }
  });

  it('messages deleted on the server stay in the archive', async () => {
    await admin.mailboxOpen('Archive');
    await admin.messageDelete('1:10', { uid: true });
    await admin.mailboxClose();
    const { summary } = await run();
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(0);
    const dir = join(root, 'Archive');
    expect(readIndex(dir).length).toBe(220);
    expect(existsSync(join(dir, '1.eml'))).toBe(true);
  });

  it('wrong password gives AUTH_FAILED with the host, not a stack; with 4 connections it costs one LOGIN', async () => {
    const control = createJobControl();
    const log = join(srv.dir, 'dovecot.log');
    const failedLogins = () => (readFileSync(log, 'utf8').match(/auth failed/g) ?? []).length;
    const before = failedLogins();
    // A first run opens its 4 connections at once; the other 3 wait for the first LOGIN's answer.
    const summary = await runMailJob({ kind: 'mail', account: { ...account, auth: { method: 'password', password: 'nope' } }, outDir: join(base, 'x'), connections: 4 }, control);
    expect(summary.status).toBe('failed');
    expect(summary.failures).toHaveLength(1);
    expect(failedLogins() - before).toBe(1);
    expect(summary.failures[0]!.error.code).toBe('AUTH_FAILED');
    expect(summary.failures[0]!.error.context.host).toBe(`${srv.host}:${srv.port}`);
    expect(summary.failures[0]!.error.message).toMatch(/rejected the user name or password/);
    rmSync(join(base, 'x'), { recursive: true, force: true });
  });

  it('a folder named with ../ cannot escape the output folder', () => {
    const dirs = folderDirs(root);
    for (const path of ['../escape', 'a/../../b', '..', '../..', 'a/../..']) {
      if (!dirs[path]) continue;
      const abs = resolve(root, dirs[path]!);
      expect(abs.startsWith(root + '/'), `${path} → ${dirs[path]}`).toBe(true);
    }
    expect(existsSync(join(base, 'escape'))).toBe(false);
    expect(existsSync(join(out, 'escape'))).toBe(false);
    expect(readIndex(join(root, dirs['../escape']!)).length).toBe(4);
  });

  it('a message deleted on the server between planning and fetching is neither done nor failed: skipped, with a warning', async () => {
    const rand = rng(21);
    // serial: one chunk per FETCH through process(); adaptive: batches of chunks through processBatch().
    const cases = [
      { folder: 'Vanish1', strategy: 'serial', connections: 1 },
      { folder: 'Vanish2', strategy: 'adaptive', connections: 2 },
    ] as const;
    for (const { folder } of cases) {
      await admin.mailboxCreate(folder);
      for (let i = 0; i < 30; i++) {
        const d = new Date(Date.UTC(2019, 0, 1) + i * 86_400_000);
        await admin.append(folder, makeMessage(400_000 + i, d, 0, rand), [], d);
      }
    }
    for (const { folder, strategy, connections } of cases) {
      const events: JobEvent[] = [];
      const written: number[] = [];
      const victims: number[] = [];
      let fetches = 0;
      const summary = await runMailJob(
        { kind: 'mail', account, outDir: out, connections, strategy, folders: [folder] },
        createJobControl((e) => events.push(e)),
        {
          limits: { chunkMessages: 5 },
          onMessageWritten: (_f, uid) => written.push(uid),
          beforeFetch: async (_f, uids) => {
            fetches++;
            if (victims.length > 0) return;
            // One message of this very FETCH and one of a later chunk, expunged through IMAP.
            victims.push(uids[1]!, 27);
            await admin.mailboxOpen(folder);
            await admin.messageDelete(toUidSet(victims), { uid: true });
            await admin.mailboxClose();
          },
        },
      );
      expect(summary.failures, folder).toEqual([]);
      expect(summary.status).toBe('succeeded');
      expect(fetches).toBeGreaterThan(1);
      expect(summary.itemsTotal).toBe(30);
      // Dovecot may still serve a message expunged by another session while the fetching session
      // has not synced yet (the victim inside the running FETCH); then archiving it is right. What
      // must hold: every message is either written and counted done, or absent and counted skipped.
      const vanished = victims.filter((v) => !written.includes(v));
      expect(vanished).toContain(27);
      expect(summary.itemsSkipped).toBe(vanished.length);
      expect(summary.itemsDone).toBe(30 - vanished.length);
      expect(summary.itemsFailed).toBe(0);
      expect(written.length).toBe(summary.itemsDone);
      const warnings = events.filter((e): e is Extract<JobEvent, { kind: 'job:warning' }> => e.kind === 'job:warning');
      expect(warnings.some((w) => /deleted on the server/.test(w.message))).toBe(true);
      const dir = join(root, folderDirs(root)[folder]!);
      const index = readIndex(dir);
      expect(index.length).toBe(summary.itemsDone);
      expect(index.map((r) => r.uid).filter((u) => vanished.includes(u))).toEqual([]);
      for (const v of vanished) expect(existsSync(join(dir, `${v}.eml`))).toBe(false);
      for (const v of victims.filter((x) => !vanished.includes(x))) expect(existsSync(join(dir, `${v}.eml`))).toBe(true);
      // The next run has nothing to fetch.
      const again = await run({ folders: [folder] });
      expect(again.summary.status).toBe('succeeded');
      expect(again.summary.itemsDone).toBe(0);
    }
  });

  it('a ~20 MB message is archived byte-exact (fetched in partial ranges, streamed to disk)', async () => {
    const rand = rng(5);
    await admin.mailboxCreate('Huge');
    const d = new Date(Date.UTC(2021, 3, 4, 5, 6, 7));
    const big = makeMessage(500_000, d, 15_000_000, rand);
    expect(big.length).toBeGreaterThan(20_000_000);
    await admin.append('Huge', makeMessage(500_001, d, 0, rand), ['\\Seen'], d);
    await admin.append('Huge', big, ['\\Flagged'], d);
    await admin.append('Huge', makeMessage(500_002, d, 1_000_000, rand), [], d);
    const written: number[] = [];
    const summary = await runMailJob(
      { kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive', folders: ['Huge'] },
      createJobControl(),
      { onMessageWritten: (_f, uid) => written.push(uid) },
    );
    expect(summary.failures).toEqual([]);
    expect(summary.itemsDone).toBe(3);
    const dir = join(root, folderDirs(root).Huge!);
    const index = readIndex(dir);
    expect(index.length).toBe(3);
    for (const m of await serverMessages(admin, 'Huge')) {
      const rec = index.find((r) => r.uid === m.uid)!;
      const data = readFileSync(join(dir, rec.file));
      expect(data.length).toBe(m.source.length);
      expect(data.equals(m.source), `UID ${m.uid}`).toBe(true);
      expect(rec.size).toBe(m.source.length);
      expect(rec.sha256).toBe(createHash('sha256').update(m.source).digest('hex'));
      expect(rec.flags).toEqual(m.flags);
      expect(Math.abs(statSync(join(dir, rec.file)).mtimeMs - m.internalDate.getTime())).toBeLessThan(1000);
    }
    expect(readdirSync(dir).some((n) => n.includes('.tmp-'))).toBe(false);
  }, 120_000);
});
