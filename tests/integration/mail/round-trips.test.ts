import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { clientOptions } from '../../../electron/engine/mail/connect';
import { listFoldersOn } from '../../../electron/engine/mail/folders';
import { examineFolder, gateLogin, trimRoundTrips } from '../../../electron/engine/mail/imapflow-rounds';
import type { MailAccount } from '../../../shared/job-spec';

/**
 * The round trips `imapflow-rounds.ts` saves, read off the wire (imapflow's command log) on a real
 * Dovecot: they rest on imapflow internals, so an imapflow that renamed one shows up here as a
 * command sent again, not as a silently slower archive.
 */
describe('imapflow round trips (Dovecot)', () => {
  let srv: DovecotServer;
  let account: MailAccount;

  beforeAll(async () => {
    srv = await startDovecot();
    const admin = await srv.connect();
    await admin.mailboxCreate('Archive');
    // Unsubscribed (as on a server filled by delivery): imapflow then asks LSUB after each LIST.
    await admin.mailboxUnsubscribe('Archive');
    await admin.logout();
    account = { host: srv.host, port: srv.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password: srv.password } };
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
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

  it('a gated login waits for the gate, and a refused gate sends no LOGIN at all', async () => {
    const sent: string[] = [];
    const c = client(sent);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let loggedIn = false;
    gateLogin(c, { after: gate, onLoggedIn: () => (loggedIn = true) });
    const connecting = c.connect();
    // Greeting and ID happen before the gate: wait (at most 10 s) until the ID has been sent.
    const deadline = Date.now() + 10_000;
    while (!sent.includes('ID') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(sent).toContain('ID');
    expect(sent).not.toContain('LOGIN');
    open();
    await connecting;
    expect(loggedIn).toBe(true);
    expect(sent).toContain('LOGIN');
    await c.logout();

    const refusedSent: string[] = [];
    const r = client(refusedSent);
    const refused = Promise.reject(new Error('first login failed'));
    refused.catch(() => undefined);
    gateLogin(r, { after: refused });
    await expect(r.connect()).rejects.toThrow();
    r.close();
    expect(refusedSent).not.toContain('LOGIN');
  });
});
