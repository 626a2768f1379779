import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { clientOptions } from '../../../electron/engine/mail/connect';
import { listFoldersOn } from '../../../electron/engine/mail/folders';
import { examineFolder, gateLogin, trimRoundTrips } from '../../../electron/engine/mail/imapflow-rounds';
import type { MailAccount } from '../../../shared/job-spec';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import type { Strategy } from '../../../shared/strategy';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillMailbox } from '../../harness/dovecot-fill';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { startCommandRelay } from './command-relay';

/**
 * The round trips `imapflow-rounds.ts` saves, read off the wire (imapflow's command log) on a real
 * Dovecot: they rest on imapflow internals, so an imapflow that renamed one shows up here as a
 * command sent again, not as a silently slower archive.
 */
describe('imapflow round trips (Dovecot)', () => {
  let bed: MailTestBed<DovecotServer>;
  let srv: DovecotServer;
  let account: MailAccount;

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot(), { tmpPrefix: 'fanout-rounds-bed-' });
    srv = bed.srv;
    const admin = bed.admin;
    await admin.mailboxCreate('Archive');
    // Unsubscribed (as on a server filled by delivery): imapflow then asks LSUB after each LIST.
    await admin.mailboxUnsubscribe('Archive');
    await fillMailbox(admin, [{ path: 'INBOX', count: 30 }, { path: 'Archive', count: 25 }, { path: 'Sent', count: 12 }]);
    account = bed.account();
  }, 60_000);
  afterAll(async () => {
    await bed?.stop();
  });

  /** A client as the engine makes it, logging the commands it sends. */
  function client(sent: string[]): ImapFlow {
    const log = (entry: { src?: string; msg?: string }) => {
      if (entry.src === 'c' && typeof entry.msg === 'string') sent.push(entry.msg.replace(/^\S+ /, '').split(' ')[0]!.toUpperCase());
    };
    const noop = () => undefined;
    const c = new ImapFlow({ ...clientOptions(account), logger: { debug: log, info: noop, warn: noop, error: noop } as unknown as false });
    c.on('error', noop);
    trimRoundTrips(c);
    return c;
  }

  it('login sends one ID, listing no LSUB, and EXAMINE of a listed folder no LIST first', async () => {
    const planner: string[] = [];
    const a = client(planner);
    await a.connect();
    // Dovecot answers ID with one field, which made imapflow send ID again after LOGIN.
    expect(planner.filter((c) => c === 'ID')).toHaveLength(1);
    expect(planner).toContain('LOGIN');
    const folders = await listFoldersOn(a);
    expect(planner).not.toContain('LSUB');
    // ENABLE waits for the first EXAMINE: a run with nothing new (login + LIST-STATUS) never sends it,
    // and LIST-STATUS still reports HIGHESTMODSEQ (the nothing-new check needs it).
    expect(planner).not.toContain('ENABLE');
    const archive = folders.find((f) => f.path === 'Archive')!;
    expect(archive).toBeDefined();
    expect(archive.highestModseq).not.toBeNull();

    // Another connection (a worker) examines a folder the first one listed.
    const worker: string[] = [];
    const b = client(worker);
    await b.connect();
    const before = worker.length;
    const mb = await examineFolder(b, archive);
    expect(String(mb.uidValidity)).toBe(archive.uidValidity);
    expect(mb.path).toBe('Archive');
    // The deferred ENABLE goes before the connection's first EXAMINE, so EXAMINE reports HIGHESTMODSEQ.
    expect(worker.slice(before)).toEqual(['ENABLE', 'EXAMINE']);
    expect(mb.highestModseq).toBeDefined();
    expect(String(mb.highestModseq)).toBe(archive.highestModseq);
    const inbox = folders.find((f) => f.path === 'INBOX')!;
    const again = worker.length;
    await examineFolder(b, inbox);
    expect(worker.slice(again)).toEqual(['EXAMINE']);
    await a.logout();
    await b.logout();
  });

  it('a connection that only fetches sends no ENABLE on Dovecot (CONDSTORE alone), and asks no MODSEQ', async () => {
    const folders = await (async () => {
      const l = client([]);
      await l.connect();
      try {
        return await listFoldersOn(l);
      } finally {
        await l.logout();
      }
    })();
    const sent: string[] = [];
    const c = client(sent);
    await c.connect();
    const archive = folders.find((f) => f.path === 'Archive')!;
    const inbox = folders.find((f) => f.path === 'INBOX')!;
    const before = sent.length;
    const mb = await examineFolder(c, archive, { condstore: false });
    expect(String(mb.uidValidity)).toBe(archive.uidValidity);
    expect(sent.slice(before)).toEqual(['EXAMINE']);
    // Its FETCH asks no MODSEQ (CONDSTORE is not enabled on it).
    const fetched: string[] = [];
    for await (const m of c.fetch('1:2', { uid: true, flags: true })) fetched.push(String(m.modseq));
    expect(fetched).toEqual(['undefined', 'undefined']);
    // A planning connection still enables it (first, as ENABLE is valid only before a folder is selected).
    const planner: string[] = [];
    const p = client(planner);
    await p.connect();
    const at = planner.length;
    const mb2 = await examineFolder(p, inbox);
    expect(planner.slice(at)).toEqual(['ENABLE', 'EXAMINE']);
    expect(String(mb2.highestModseq)).toBe(inbox.highestModseq);
    await c.logout();
    await p.logout();
  });

  it('ID and NAMESPACE go out in the same write as LOGIN (one round trip for the three), and their answers are still read', async () => {
    const relay = await startCommandRelay(srv.port);
    try {
      const c = new ImapFlow({ ...clientOptions({ ...account, port: relay.port }), logger: false });
      c.on('error', () => undefined);
      trimRoundTrips(c);
      await c.connect();
      const withLogin = relay.writes[0]!.find((w) => w.includes('LOGIN'));
      expect(withLogin).toEqual(['ID', 'LOGIN', 'NAMESPACE']);
      expect(relay.sessions[0]!.filter((x) => x === 'ID')).toHaveLength(1);
      // imapflow's own NAMESPACE was answered by the pipelined one: not sent again.
      expect(relay.sessions[0]!.filter((x) => x === 'NAMESPACE')).toHaveLength(1);
      // Dovecot's answer, as imapflow's NAMESPACE command reads it (folder paths and LIST use it).
      expect(c.namespace).toEqual({ prefix: '', delimiter: '/' });
      // Dovecot's answer to ID, read as imapflow's own ID command reads it.
      expect(c.serverInfo?.name).toBe('Dovecot');
      // The connection works on: the tagged answer to the pipelined ID did not confuse it.
      const folders = await listFoldersOn(c);
      expect(folders.map((f) => f.path)).toContain('INBOX');
      await c.logout();
    } finally {
      await relay.stop();
    }
  });

  /**
   * A server that dropped what followed LOGIN (as Courier does, whose login process hands over to
   * another) while its LOGIN answer announced LIST-STATUS and CONDSTORE: imapflow's NAMESPACE waits
   * for the pipelined one a bounded while, then sends its own, and the connection works on.
   */
  it('a pipelined NAMESPACE the server never answers: imapflow sends its own after a bounded wait', async () => {
    const relay = await startCommandRelay(srv.port, { rewrite: (chunk) => Buffer.from(chunk.toString('latin1').replace(/Z\d+ NAMESPACE\r\n/, ''), 'latin1') });
    try {
      const c = new ImapFlow({ ...clientOptions({ ...account, port: relay.port }), logger: false });
      c.on('error', () => undefined);
      trimRoundTrips(c);
      await c.connect();
      expect(relay.writes[0]!.find((w) => w.includes('LOGIN'))).toEqual(['ID', 'LOGIN']);
      expect(relay.sessions[0]!.filter((x) => x === 'NAMESPACE')).toHaveLength(1);
      expect(c.namespace).toEqual({ prefix: '', delimiter: '/' });
      const folders = await listFoldersOn(c);
      expect(folders.map((f) => f.path)).toContain('INBOX');
      await c.logout();
    } finally {
      await relay.stop();
    }
  }, 30_000);

  /** The size FETCH in EXAMINE's write refused (BAD): the plan asks for the sizes after EXAMINE, as before, and loses nothing. */
  it('a first run whose pipelined size FETCH is refused asks for the sizes after EXAMINE and archives every message', async () => {
    const relay = await startCommandRelay(srv.port, { rewrite: (chunk) => Buffer.from(chunk.toString('latin1').replace(/(Z\d+ UID FETCH 1:\* \(UID )RFC822\.SIZE\)/, '$1NOSUCHITEM)'), 'latin1') });
    const out = mkdtempSync(join(tmpdir(), 'fanout-rt-'));
    try {
      const result = await runMailJob({ kind: 'mail', account: { ...account, port: relay.port }, outDir: out, connections: 1, strategy: 'adaptive', folders: ['Archive'] }, createJobControl());
      expect(result.failures).toEqual([]);
      const admin = await srv.connect();
      const status = await admin.status('Archive', { messages: true });
      await admin.logout();
      expect(result.itemsDone).toBe(status ? status.messages! : -1);
      const writes = relay.writes[0]!.filter((w) => w.length > 0);
      const at = writes.findIndex((w) => w[0] === 'EXAMINE Archive');
      // The refused one in EXAMINE's write, then the size FETCH on its own, then the bodies.
      expect(writes.slice(at, at + 3)).toEqual([['EXAMINE Archive', 'UID FETCH'], ['UID FETCH'], ['UID FETCH']]);
      const root = accountDir({ outDir: out, account });
      expect(readdirSync(join(root, 'Archive')).filter((f) => f.endsWith('.eml'))).toHaveLength(result.itemsDone);
    } finally {
      await relay.stop();
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  /**
   * A server that silently drops the size FETCH written in EXAMINE's write (RFC 3501 allows
   * pipelining; this one would break it): the plan stops waiting once nothing of its answer came
   * for a bounded while, asks for the sizes after EXAMINE as before, and archives every message.
   */
  it('a first run whose pipelined size FETCH the server never answers asks again after a bounded wait', async () => {
    const relay = await startCommandRelay(srv.port, { rewrite: (chunk) => Buffer.from(chunk.toString('latin1').replace(/Z\d+ UID FETCH 1:\* \(UID RFC822\.SIZE\)\r\n/, ''), 'latin1') });
    const out = mkdtempSync(join(tmpdir(), 'fanout-rt-'));
    try {
      const result = await runMailJob({ kind: 'mail', account: { ...account, port: relay.port }, outDir: out, connections: 1, strategy: 'adaptive', folders: ['Archive', 'Sent'] }, createJobControl());
      expect(result.failures).toEqual([]);
      const admin = await srv.connect();
      const counts = await Promise.all(['Archive', 'Sent'].map(async (f) => {
        const status = await admin.status(f, { messages: true });
        return status ? status.messages! : -1;
      }));
      await admin.logout();
      expect(result.itemsDone).toBe(counts[0]! + counts[1]!);
      const writes = relay.writes[0]!.filter((w) => w.length > 0);
      // The dropped one never reached the server: EXAMINE alone, then the size FETCH, then the bodies;
      // the next folder is not pipelined on that connection any more.
      for (const folder of ['Archive', 'Sent']) {
        const at = writes.findIndex((w) => w[0] === `EXAMINE ${folder}`);
        expect(writes.slice(at, at + 3)).toEqual([[`EXAMINE ${folder}`], ['UID FETCH'], ['UID FETCH']]);
      }
      const root = accountDir({ outDir: out, account });
      expect(readdirSync(join(root, 'Archive')).filter((f) => f.endsWith('.eml'))).toHaveLength(counts[0]!);
      expect(readdirSync(join(root, 'Sent')).filter((f) => f.endsWith('.eml'))).toHaveLength(counts[1]!);
    } finally {
      await relay.stop();
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);

  it('a gated login waits for the gate, and a refused gate sends no LOGIN at all', async () => {
    const relay = await startCommandRelay(srv.port);
    const c = new ImapFlow({ ...clientOptions({ ...account, port: relay.port }), logger: false });
    c.on('error', () => undefined);
    trimRoundTrips(c);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // Awaited by the gated LOGIN: `reached` says the connection got there (greeting read).
    let reached = false;
    const watched = { then: (ok: () => void, ko: (e: unknown) => void) => ((reached = true), gate.then(ok, ko)) } as unknown as Promise<void>;
    let loggedIn = false;
    gateLogin(c, { after: watched, onLoggedIn: () => (loggedIn = true) });
    const connecting = c.connect();
    // Wait (at most 10 s) until the connection is at the gate: nothing sent yet (ID waits to go out with LOGIN).
    const deadline = Date.now() + 10_000;
    while (!reached && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(reached).toBe(true);
    expect(relay.sessions[0]).toEqual([]);
    open();
    await connecting;
    expect(loggedIn).toBe(true);
    expect(relay.writes[0]!.find((w) => w.includes('LOGIN'))).toEqual(['ID', 'LOGIN', 'NAMESPACE']);
    await c.logout();
    await relay.stop();

    const refusedSent: string[] = [];
    const r = client(refusedSent);
    const refused = Promise.reject(new Error('first login failed'));
    refused.catch(() => undefined);
    gateLogin(r, { after: refused });
    await expect(r.connect()).rejects.toThrow();
    r.close();
    expect(refusedSent).not.toContain('LOGIN');
  });

  /**
   * One connection plans every folder and fetches them all. It used to plan (EXAMINE, UID list)
   * every folder before fetching any, then EXAMINE each again to fetch it: one round trip per
   * folder more than needed. Now it fetches a folder while it is selected for its plan.
   */
  it.each<Strategy>(['adaptive', 'serial'])('one connection (%s) EXAMINEs each folder once, first run and a run with new mail', async (strategy) => {
    const relay = await startCommandRelay(srv.port);
    const out = mkdtempSync(join(tmpdir(), 'fanout-rt-'));
    try {
      const job = () => runMailJob({ kind: 'mail', account: { ...account, port: relay.port }, outDir: out, connections: 1, strategy }, createJobControl(), { limits: { chunkMessages: 7 } });
      const examines = () => relay.sessions.flat().filter((c) => c.startsWith('EXAMINE ')).sort();
      // Both strategies' runs use the same server: count what it holds now.
      const admin = await srv.connect();
      const held: Record<string, number> = {};
      for (const path of ['INBOX', 'Archive', 'Sent']) {
        const status = await admin.status(path, { messages: true });
        held[path] = status ? status.messages! : 0;
      }
      const first = await job();
      expect(first.failures).toEqual([]);
      expect(first.itemsDone).toBe(held.INBOX! + held.Archive! + held.Sent!);
      expect(relay.sessions).toHaveLength(1);
      expect(examines()).toEqual(['EXAMINE Archive', 'EXAMINE INBOX', 'EXAMINE Sent']);
      // A first run's round trips to its first message: ID + LOGIN + NAMESPACE, LIST, EXAMINE with
      // the folder's UIDs and sizes, then the bodies (it was six: ID + LOGIN, NAMESPACE, LIST,
      // EXAMINE, the size FETCH, the bodies). Each folder's EXAMINE carries its size FETCH.
      const writes = relay.writes[0]!.filter((w) => w.length > 0);
      expect(writes.slice(0, 4)).toEqual([['ID', 'LOGIN', 'NAMESPACE'], ['LIST'], ['EXAMINE INBOX', 'UID FETCH'], ['UID FETCH']]);
      expect(writes.filter((w) => w[0]?.startsWith('EXAMINE ')).map((w) => w.length)).toEqual([2, 2, 2]);
      const root = accountDir({ outDir: out, account });
      expect(readdirSync(join(root, 'INBOX')).filter((f) => f.endsWith('.eml'))).toHaveLength(held.INBOX!);

      // New mail in two folders: the run plans and fetches those two, each selected once.
      await fillMailbox(admin, [{ path: 'INBOX', count: 9 }, { path: 'Sent', count: 8 }], 7);
      await admin.logout();
      relay.sessions.length = 0;
      const second = await job();
      expect(second.failures).toEqual([]);
      expect(second.itemsDone).toBe(17);
      // The quick listing (quick-list.ts) saw the new mail and gave way: its session, then the job's one.
      expect(relay.sessions[0]).toEqual(['LOGIN', 'LIST', 'LOGOUT']);
      expect(relay.sessions).toHaveLength(2);
      expect(examines()).toEqual(['EXAMINE INBOX', 'EXAMINE Sent']);
      // Folders archived before: their sizes are asked for what is new only, after EXAMINE.
      expect(relay.writes[relay.writes.length - 1]!.filter((w) => w[0]?.startsWith('EXAMINE '))).toEqual([['EXAMINE INBOX'], ['EXAMINE Sent']]);
      expect(readdirSync(join(root, 'Sent')).filter((f) => f.endsWith('.eml'))).toHaveLength(held.Sent! + 8);
    } finally {
      await relay.stop();
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  /**
   * Every strategy finishes with one connection. `split` divides the whole plan among the workers
   * before any fetch, so its only connection cannot wait for a folder's chunks before planning the
   * next (a deadlock `fanout lab mail`'s split × 1 cell ran into).
   */
  it.each<Strategy>(['queue', 'split'])('one connection (%s) archives every folder', async (strategy) => {
    const out = mkdtempSync(join(tmpdir(), 'fanout-rt-'));
    try {
      const admin = await srv.connect();
      let total = 0;
      for (const path of ['INBOX', 'Archive', 'Sent']) {
        const status = await admin.status(path, { messages: true });
        total += status ? status.messages! : 0;
      }
      await admin.logout();
      const result = await runMailJob({ kind: 'mail', account, outDir: out, connections: 1, strategy }, createJobControl(), { limits: { chunkMessages: 7 } });
      expect(result.failures).toEqual([]);
      expect(result.itemsDone).toBe(total);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 30_000);

  /**
   * With one connection, a chunk's end is an idle round trip (its last writes settle, then the next
   * FETCH's first byte is a round trip away) and nobody shares the chunks: a job with one connection
   * fetches a folder of 300 small messages in one body FETCH (it took 250 + 50 before). Last: the
   * folder it adds would count in the tests above, which archive every folder.
   */
  it('one connection fetches a folder of 300 messages in one body FETCH (default limits)', async () => {
    const admin = await srv.connect();
    await fillMailbox(admin, [{ path: 'Bulk', count: 300 }], 11);
    await admin.logout();
    const relay = await startCommandRelay(srv.port);
    const out = mkdtempSync(join(tmpdir(), 'fanout-rt-'));
    try {
      const result = await runMailJob({ kind: 'mail', account: { ...account, port: relay.port }, outDir: out, connections: 1, strategy: 'adaptive', folders: ['Bulk'] }, createJobControl());
      expect(result.failures).toEqual([]);
      expect(result.itemsDone).toBe(300);
      const sent = relay.sessions.flat();
      const at = sent.indexOf('EXAMINE Bulk');
      expect(at).toBeGreaterThan(-1);
      // The size FETCH (the plan, in EXAMINE's write), then the bodies.
      expect(sent.slice(at + 1).filter((c) => c === 'UID FETCH')).toHaveLength(2);
      expect(relay.writes.flat().find((w) => w.includes('EXAMINE Bulk'))).toEqual(['EXAMINE Bulk', 'UID FETCH']);
      const root = accountDir({ outDir: out, account });
      expect(readdirSync(join(root, 'Bulk')).filter((f) => f.endsWith('.eml'))).toHaveLength(300);
    } finally {
      await relay.stop();
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
