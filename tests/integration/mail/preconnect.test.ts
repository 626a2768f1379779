/**
 * connect.ts `preconnect`: the TCP connection of a job's first imapflow connection, opened before
 * imapflow loads (`fanout mail` does it before the job's modules load), is the one the first
 * `openClient` for that host and port uses: one connection on the server, not two, in cleartext,
 * with STARTTLS and with implicit TLS; one that failed before it was taken is dropped and imapflow
 * connects itself, with the same error as without it; an untrusted certificate is the same
 * TLS_FAILED. Against Dovecot (with TLS) through the command relay.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeClient, dropPreconnected, openClient, preconnect } from '../../../electron/engine/mail/connect';
import type { MailAccount } from '../../../shared/job-spec';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { startCommandRelay, type CommandRelay } from './command-relay';

let srv: DovecotServer;
let plain: CommandRelay;
let secure: CommandRelay;

beforeAll(async () => {
  srv = await startDovecot({ tls: true });
  plain = await startCommandRelay(srv.port);
  secure = await startCommandRelay(srv.tlsPort);
}, 120_000);

afterAll(async () => {
  await plain?.stop();
  await secure?.stop();
  await srv?.stop();
});

const account = (over: Partial<MailAccount>): MailAccount => ({ host: '127.0.0.1', port: plain.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password: srv.password }, ...over });

/** Waits (bounded) until the relay has accepted `n` connections in all. */
async function accepted(relay: CommandRelay, n: number): Promise<void> {
  for (let i = 0; i < 500 && relay.sessions.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(relay.sessions.length).toBe(n);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('preconnect', () => {
  for (const [mode, relay, over] of [
    ['cleartext', () => plain, { tls: 'none' }],
    ['STARTTLS', () => plain, { tls: 'starttls', allowUntrustedCert: true }],
    ['implicit TLS', () => secure, { tls: 'implicit', allowUntrustedCert: true }],
  ] as const) {
    it(`${mode}: the first openClient uses the connection opened before (one session on the server)`, async () => {
      const r = relay();
      const a = account({ port: r.port, ...over });
      const before = r.sessions.length;
      preconnect(a);
      // The connection is up before imapflow is asked for one.
      await accepted(r, before + 1);
      const client = await openClient(a, { timeoutMs: 20_000 });
      try {
        const status = await client.status('INBOX', { messages: true });
        expect(status).toMatchObject({ path: 'INBOX' });
      } finally {
        await closeClient(client);
      }
      expect(r.sessions.length).toBe(before + 1);
      // What the relay can read of it: LOGIN in cleartext, STARTTLS first with STARTTLS, nothing over implicit TLS.
      expect(r.sessions[before]!.slice(0, 1)).toEqual(over.tls === 'none' ? ['ID'] : over.tls === 'starttls' ? ['STARTTLS'] : []);
      if (over.tls === 'none') expect(r.sessions[before]).toContain('LOGIN');
      // Taken: the next openClient connects on its own.
      const second = await openClient(a, { timeoutMs: 20_000 });
      await closeClient(second);
      expect(r.sessions.length).toBe(before + 2);
    });
  }

  it("is the job's first connection's: a connection whose LOGIN waits for another's never takes it, whichever asks first", async () => {
    // A first run opens its planning connection and its workers together, the workers' LOGIN gated
    // on the planner's. A server's per-IP limit counts connections as it accepts them (Courier closes
    // the surplus before its greeting): a worker that took the early socket left the planner a
    // connection opened after the workers', and at the limit the planner, and the job with it, failed
    // (auto-workers.test.ts 'a fixed N over Courier's limit' once the planner resumed later).
    const a = account({});
    const before = plain.sessions.length;
    preconnect(a);
    await accepted(plain, before + 1);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The worker asks first (both wait for the same module loads, so it resumes first).
    const worker = openClient(a, { timeoutMs: 20_000, login: { after: gate } });
    const planner = await openClient(a, { timeoutMs: 20_000, login: { onLoggedIn: () => undefined } });
    try {
      // The early connection (the relay's first of these) is the planner's: it logged in, the worker has not.
      expect(plain.sessions[before]).toContain('LOGIN');
      await accepted(plain, before + 2);
      expect(plain.sessions[before + 1]).not.toContain('LOGIN');
    } finally {
      release();
      await closeClient(planner);
      await closeClient(await worker);
    }
  });

  it('one that failed before it was taken is dropped: imapflow connects itself, with the same error as without it', async () => {
    const a = account({ port: await closedPort() });
    const without = await openClient(a, { timeoutMs: 5_000 }).then(() => null, (err: unknown) => err as { code?: string; message?: string });
    preconnect(a);
    await new Promise((r) => setTimeout(r, 200));
    const withIt = await openClient(a, { timeoutMs: 5_000 }).then(() => null, (err: unknown) => err as { code?: string; message?: string });
    expect(without).not.toBeNull();
    expect(withIt).toMatchObject({ code: without!.code, message: without!.message });
  });

  it('an untrusted certificate is the same TLS_FAILED through a preconnected socket', async () => {
    const a = account({ port: secure.port, tls: 'implicit', allowUntrustedCert: false });
    preconnect(a);
    const err = await openClient(a, { timeoutMs: 10_000 }).then(() => null, (e: unknown) => e as { code?: string });
    expect(err).toMatchObject({ code: 'TLS_FAILED' });
    const plainErr = await openClient(a, { timeoutMs: 10_000 }).then(() => null, (e: unknown) => e as { code?: string });
    expect(plainErr).toMatchObject({ code: 'TLS_FAILED' });
  });

  it('another host or port is not given the socket; dropPreconnected closes one never taken', async () => {
    const before = plain.sessions.length;
    preconnect(account({}));
    await accepted(plain, before + 1);
    const other = await openClient(account({ port: secure.port, tls: 'implicit', allowUntrustedCert: true }), { timeoutMs: 20_000 });
    await closeClient(other);
    // Dropped when the other account took its turn: the plain session closed without a command.
    expect(plain.sessions[before]).toEqual([]);
    preconnect(account({}));
    await accepted(plain, before + 2);
    dropPreconnected();
    expect(plain.sessions[before + 1]).toEqual([]);
  });
});
