import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { runMailJob, accountDir, type MailJobExtras } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { toUidSet } from '../../../electron/engine/mail/uid-set';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import type { MailAccount } from '../../../shared/job-spec';
import type { JobEvent, JobSummary } from '../../../shared/events';
import { archivedFolderDir, readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { startHoldRelay, type HoldRelay } from './hold-relay';

/**
 * Another client changes a folder while our FETCH of it is under way (the answer held part-way by
 * a relay, so the change comes in the middle of it on every machine), on each real server: what the
 * archive holds, whether the job's success is true (never success with a message missing, never a
 * message twice), and whether a re-run finishes the job.
 */
const SERVERS = ['dovecot', 'cyrus', 'courier'] as const;
/** Messages per folder, each with a ~80 kB attachment: the FETCH's answer (~2.4 MB) outlasts the socket buffers. */
const COUNT = 30;
const FOLDERS = ['Expunged', 'Appended', 'Killed', 'Deleted', 'Renamed', 'Moved'];
/** The body FETCH (not the planning's size or flags FETCH). */
const BODY_FETCH = /UID FETCH .*BODY\.PEEK\[\]/i;

/**
 * The processes holding the server's end of a loopback TCP connection (local port `port`, peer port
 * `peer`): its inode from /proc/net/tcp, then each process's descriptors (Linux; no ss or lsof needed).
 */
function socketHolders(port: number, peer: number): number[] {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  const row = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1]?.endsWith(`:${hex(port)}`) && f[2]?.endsWith(`:${hex(peer)}`) && f[3] === '01');
  if (!row) return [];
  const link = `socket:[${row[9]}]`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${name}/fd`);
    } catch {
      continue;
    }
    if (fds.some((fd) => {
      try {
        return readlinkSync(`/proc/${name}/fd/${fd}`) === link;
      } catch {
        return false;
      }
    })) pids.push(Number(name));
  }
  return pids;
}

/** Whether a process still exists (signal 0). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each(SERVERS)('mail: the folder changes during our FETCH (%s)', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let srv: ImapTestServer;
  let admin: ImapFlow;
  let relay: HoldRelay;
  let account: MailAccount;
  let root: string;
  const path = (logical: string) => serverPath(srv, logical);

  const run = async (folders: 'all' | string[], extras: MailJobExtras = {}): Promise<{ summary: JobSummary; events: JobEvent[]; written: number[] }> => {
    const events: JobEvent[] = [];
    const written: number[] = [];
    const summary = await runMailJob(
      { kind: 'mail', account, outDir: bed.out, connections: 1, strategy: 'adaptive', folders, timeoutMs: 20_000 },
      createJobControl((e) => events.push(e)),
      { ...extras, onMessageWritten: (_f, uid) => written.push(uid) },
    );
    return { summary, events, written };
  };

  /** UID → bytes of what the server holds in `p` now. */
  const sources = async (p: string): Promise<Map<number, Buffer>> => {
    const out = new Map<number, Buffer>();
    const mb = await admin.mailboxOpen(p, { readOnly: true });
    if (mb.exists > 0) for await (const m of admin.fetch('1:*', { uid: true, source: true }, { uid: true })) out.set(m.uid, m.source!);
    await admin.mailboxClose();
    return out;
  };

  /** The index of `p`'s directory: each UID once, each line's file the bytes the server had for that UID. */
  const expectIndexTrue = (p: string, originals: Map<number, Buffer>): number[] => {
    const dir = archivedFolderDir(root, p);
    const index = readIndex(dir);
    const uids = index.map((r) => r.uid);
    expect(new Set(uids).size, `${p}: a UID twice in the index`).toBe(uids.length);
    for (const r of index) {
      const file = readFileSync(join(dir, r.file));
      const had = originals.get(r.uid);
      expect(file.equals(had!), `${p} UID ${r.uid} bytes (file ${file.length}, the server had ${had?.length})`).toBe(true);
    }
    return uids.sort((a, b) => a - b);
  };

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), {
      tmpPrefix: `fanout-midrun-${entry}-`,
      folders: (s) => FOLDERS.map((f) => ({ path: serverPath(s, f), count: f === 'Moved' ? 8 : COUNT, big: f === 'Moved' ? undefined : { count: COUNT, bytes: 60_000 } })),
      seed: 23,
      crlf: true,
    });
    ({ srv, admin } = bed);
    relay = await startHoldRelay(srv.port);
    account = bed.account({ host: '127.0.0.1', port: relay.port });
    root = accountDir({ outDir: bed.out, account });
  }, 120_000);

  afterAll(async () => {
    await relay?.stop();
    await bed?.stop();
  });

  it('messages expunged by another client during the FETCH: each archived once or counted vanished; success is true; the re-run has nothing to do', async () => {
    const p = path('Expunged');
    const originals = await sources(p);
    const uids = [...originals.keys()].sort((a, b) => a - b);
    expect(uids.length).toBe(COUNT);
    // The first (sent before the hold), one in the middle and the last of the FETCH's answer.
    const victims = [uids[0]!, uids[15]!, uids[COUNT - 1]!];
    const held = relay.holdAnswer(BODY_FETCH, 100_000).then(async () => {
      await admin.mailboxOpen(p);
      await admin.messageDelete(toUidSet(victims), { uid: true });
      await admin.mailboxClose();
      relay.release();
    });
    const holds = relay.held;
    const { summary, written } = await run([p]);
    expect(relay.held).toBe(holds + 1);
    await held;
    expect(summary.failures).toEqual([]);
    expect(summary.status).toBe('succeeded');
    const archived = expectIndexTrue(p, originals);
    expect(archived).toEqual([...written].sort((a, b) => a - b));
    // Every message still on the server is archived; a victim is either archived (served before the
    // server saw it go) or counted vanished, never both, never neither.
    const vanished = victims.filter((v) => !archived.includes(v));
    expect(archived.length + vanished.length).toBe(COUNT);
    expect(summary.itemsDone).toBe(archived.length);
    expect(summary.itemsSkipped).toBe(vanished.length);
    const tally = summary.mailFolders!.find((t) => t.folder === p)!;
    expect(tally.onServer).toBe(tally.archivedBefore + tally.fetched + tally.vanished);
    for (const u of uids.filter((x) => !victims.includes(x))) expect(archived, `UID ${u}`).toContain(u);
    const again = await run([p]);
    expect(again.summary.failures).toEqual([]);
    expect(again.summary.status).toBe('succeeded');
    expect(again.summary.itemsDone).toBe(0);
    expect(expectIndexTrue(p, originals)).toEqual(archived);
  }, 120_000);

  it('another client appends a message and flags two during the FETCH (EXISTS and FETCH FLAGS unasked): the run archives what it planned; the re-run the new message and the flags', async () => {
    const p = path('Appended');
    const originals = await sources(p);
    const uids = [...originals.keys()].sort((a, b) => a - b);
    // One sent before the hold, one after it.
    const flagged = [uids[0]!, uids[COUNT - 2]!];
    const held = relay.holdAnswer(BODY_FETCH, 100_000).then(async () => {
      const d = new Date(Date.UTC(2023, 3, 4, 5, 6, 7));
      await admin.append(p, Buffer.from('From: a@x\r\nSubject: late\r\n\r\narrived during the FETCH\r\n'), [], d);
      await admin.mailboxOpen(p);
      await admin.messageFlagsAdd(toUidSet(flagged), ['\\Flagged'], { uid: true });
      await admin.mailboxClose();
      relay.release();
    });
    const holds = relay.held;
    const first = await run([p]);
    expect(relay.held).toBe(holds + 1);
    await held;
    expect(first.summary.failures).toEqual([]);
    expect(first.summary.status).toBe('succeeded');
    expect(first.summary.itemsDone).toBe(COUNT);
    expect(expectIndexTrue(p, originals)).toEqual(uids);
    const now = await sources(p);
    const again = await run([p]);
    expect(again.summary.failures).toEqual([]);
    expect(again.summary.itemsDone).toBe(1);
    expect(expectIndexTrue(p, now).length).toBe(COUNT + 1);
    const index = readIndex(archivedFolderDir(root, p));
    for (const u of flagged) expect(index.find((r) => r.uid === u)!.flags, `UID ${u}`).toContain('\\Flagged');
    expect((await run([p])).summary.itemsDone).toBe(0);
  }, 120_000);

  it('the server process answering our FETCH ends part-way (SIGTERM: its BYE, then the close): retried, every message archived once', async () => {
    const p = path('Killed');
    const originals = await sources(p);
    const said = relay.refusals.length;
    const held = relay.holdAnswer(BODY_FETCH, 100_000).then(async () => {
      // The server's processes holding the held connection (Dovecot's imap, Cyrus's imapd, Courier's imapd), not the listener.
      const peer = relay.heldPeerPort()!;
      const pids = socketHolders(srv.port, peer).filter((pid) => pid !== srv.pid && pid !== process.pid);
      expect(pids.length).toBeGreaterThan(0);
      for (const pid of pids) process.kill(pid, 'SIGTERM');
      // Gone before the held answer goes on: what it wrote before it ended (a BYE) waits in the socket.
      for (const pid of pids) while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
      relay.release();
    });
    const holds = relay.held;
    const { summary } = await run([p]);
    expect(relay.held).toBe(holds + 1);
    await held;
    process.stdout.write(`[${entry}] server process ended during the FETCH: ${summary.status}; the server said ${JSON.stringify(relay.refusals.slice(said))}\n`);
    expect(summary.failures).toEqual([]);
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(COUNT);
    expect(expectIndexTrue(p, originals).length).toBe(COUNT);
    expect((await run([p])).summary.itemsDone).toBe(0);
  }, 120_000);

  it('the folder renamed by another client during the FETCH: no success with messages missing; the re-run archives it under its new name', async () => {
    const p = path('Renamed');
    const to = path('Renamed2');
    const originals = await sources(p);
    const held = relay.holdAnswer(BODY_FETCH, 100_000).then(async () => {
      await admin.mailboxRename(p, to);
      relay.release();
    });
    const holds = relay.held;
    const said = relay.refusals.length;
    const { summary } = await run([p]);
    expect(relay.held).toBe(holds + 1);
    await held;
    process.stdout.write(`[${entry}] renamed during the FETCH: ${summary.status}, ${summary.itemsDone} archived; the server said ${JSON.stringify(relay.refusals.slice(said))}\n`);
    const archived = expectIndexTrue(p, originals);
    if (archived.length < COUNT) {
      expect(summary.status).toBe('failed');
      expect(summary.failures.map((f) => f.error.context.folder)).toContain(p);
      expect(summary.failures.find((f) => f.error.context.folder === p)!.error.message).toMatch(/deleted or renamed on the server during the run/);
    }
    const again = await run([to]);
    expect(again.summary.failures).toEqual([]);
    expect(again.summary.status).toBe('succeeded');
    const now = await sources(to);
    expect(expectIndexTrue(to, now).length).toBe(COUNT);
  }, 120_000);

  it('the folder deleted by another client during the FETCH: the job does not succeed with messages missing; the re-run succeeds and keeps the archive', async () => {
    const p = path('Deleted');
    const originals = await sources(p);
    const held = relay.holdAnswer(BODY_FETCH, 100_000).then(async () => {
      await admin.mailboxDelete(p);
      relay.release();
    });
    const holds = relay.held;
    const { summary, written } = await run([p]);
    expect(relay.held).toBe(holds + 1);
    await held;
    const archived = expectIndexTrue(p, originals);
    expect(archived).toEqual([...written].filter((u) => originals.has(u)).sort((a, b) => a - b));
    if (archived.length < COUNT) {
      expect(summary.status).toBe('failed');
      expect(summary.failures.map((f) => f.error.context.folder)).toContain(p);
    }
    // The re-run: the folder is gone from the server; its archive is kept, nothing fails.
    const again = await run('all');
    expect(again.summary.failures).toEqual([]);
    expect(again.summary.status).toBe('succeeded');
    expect(expectIndexTrue(p, originals)).toEqual(archived);
  }, 120_000);

  it('a folder renamed between runs: what each server keeps of its UIDVALIDITY, and what the re-run fetches', async () => {
    const p = path('Moved');
    const to = path('Moved Later');
    const first = await run('all');
    expect(first.summary.failures).toEqual([]);
    const before = JSON.parse(readFileSync(join(archivedFolderDir(root, p), 'state.json'), 'utf8')) as { synced: { uidValidity: string } };
    await admin.mailboxRename(p, to);
    const st = await admin.status(to, { uidValidity: true });
    const after = st ? String(st.uidValidity) : 'none';
    process.stdout.write(`[${entry}] rename keeps UIDVALIDITY: ${after === before.synced.uidValidity} (${before.synced.uidValidity} -> ${after})\n`);
    const oldDir = archivedFolderDir(root, p);
    const again = await run('all');
    expect(again.summary.failures).toEqual([]);
    expect(again.summary.status).toBe('succeeded');
    const now = await sources(to);
    expect(expectIndexTrue(to, now).length).toBe(8);
    process.stdout.write(`[${entry}] re-run after the rename fetched ${again.summary.itemsDone}\n`);
    if (after === before.synced.uidValidity) {
      // The same folder under another name: its archive is taken over, nothing fetched again.
      expect(again.summary.itemsDone).toBe(0);
      expect(archivedFolderDir(root, to)).toBe(oldDir);
      const dirs = (JSON.parse(readFileSync(join(root, 'folders.json'), 'utf8')) as { dirs: Record<string, string> }).dirs;
      expect(dirs[p]).toBeUndefined();
      expect((JSON.parse(readFileSync(join(oldDir, 'state.json'), 'utf8')) as { path: string }).path).toBe(to);
      expect(again.events.some((e) => e.kind === 'job:warning' && e.message.includes('renamed on the server'))).toBe(true);
      // A third run: nothing to do, the quick way.
      expect((await run('all')).summary.itemsDone).toBe(0);
    }
  }, 120_000);

  it('a new folder sharing a gone folder\'s UIDVALIDITY but not its messages is archived afresh; the gone archive is left as it was', async () => {
    const p = path('Impostor');
    await admin.mailboxCreate(p);
    const d = new Date(Date.UTC(2021, 1, 2, 3, 4, 5));
    for (let i = 0; i < 3; i++) await admin.append(p, Buffer.from(`From: a@x\r\nSubject: impostor ${i}\r\n\r\nbody ${i}\r\n`), [], d);
    const st = await admin.status(p, { uidValidity: true });
    const uv = String(st && st.uidValidity);
    // An archived folder the server no longer lists, last archived at that UIDVALIDITY, with other messages under the same UIDs.
    const ghost = await FolderStore.open(join(root, 'Ghost'), 'Ghost');
    for (const uid of [1, 2, 3]) await ghost.writeMessage(Buffer.from(`Subject: ghost ${uid}\r\n\r\nanother message\r\n`), { uid, uidValidity: uv, internalDate: d, flags: [], messageId: null, subject: null, from: null });
    ghost.state.synced = { uidValidity: uv, uidNext: 4, highestModseq: null, messages: 3 };
    await ghost.saveState();
    await ghost.close();
    const foldersFile = join(root, 'folders.json');
    const folders = JSON.parse(readFileSync(foldersFile, 'utf8')) as { version: 1; dirs: Record<string, string> };
    folders.dirs.Ghost = 'Ghost';
    writeFileSync(foldersFile, `${JSON.stringify(folders, null, 2)}\n`);
    const ghostIndex = readFileSync(join(root, 'Ghost', 'index.jsonl'), 'utf8');
    const { summary } = await run('all');
    expect(summary.failures).toEqual([]);
    expect(summary.itemsDone).toBe(3);
    expect(archivedFolderDir(root, p)).not.toBe(join(root, 'Ghost'));
    expect(expectIndexTrue(p, await sources(p))).toEqual([1, 2, 3]);
    expect(readFileSync(join(root, 'Ghost', 'index.jsonl'), 'utf8')).toBe(ghostIndex);
    expect((JSON.parse(readFileSync(join(root, 'Ghost', 'state.json'), 'utf8')) as { path: string }).path).toBe('Ghost');
  }, 120_000);
});
