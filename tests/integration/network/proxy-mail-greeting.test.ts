import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailJobSpecSchema, type MailAccount } from '../../../shared/job-spec';
import type { JobEvent } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMailbox } from '../../harness/dovecot-fill';
import { startCoalescingSocks, type CoalescingSocks } from '../../harness/coalescing-socks';

/**
 * An IMAP server speaks first, and its greeting can reach us in the same packet as the SOCKS
 * proxy's CONNECT reply (Dante does this under load: the built CLI's SOCKS test failed CI with
 * GREETING_TIMEOUT). The relay here always does it, in front of a real Dovecot, for each TLS
 * mode and SOCKS version a mail account may use. Before the fix the greeting was dropped (the
 * `socks` package re-emits such bytes on a later tick, before imapflow reads the socket).
 */
let srv: DovecotServer;
let relay: CoalescingSocks;
/** For implicit TLS (the client speaks first): replies at once. */
let quietRelay: CoalescingSocks;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-proxy-greeting-'));
  [srv, relay, quietRelay] = await Promise.all([startDovecot({ tls: true }), startCoalescingSocks(), startCoalescingSocks({ quietMs: 0 })]);
  const admin = await srv.connect();
  await fillMailbox(admin, [{ path: 'INBOX', count: 5 }]);
  await admin.logout();
});
afterAll(async () => {
  await Promise.allSettled([srv?.stop(), relay?.stop(), quietRelay?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const MODES = [
  ['socks5', 'none'],
  ['socks', 'none'],
  ['socks4', 'none'],
  ['socks5', 'starttls'],
  ['socks5', 'implicit'],
] as const;

describe('IMAP through a SOCKS proxy that sends the greeting with its reply', () => {
  it.each(MODES)('%s:// with TLS %s: every message archived, no greeting lost', async (scheme, tls) => {
    const via = tls === 'implicit' ? quietRelay : relay;
    const account: MailAccount = {
      host: srv.host,
      port: tls === 'implicit' ? srv.tlsPort : srv.port,
      tls,
      allowUntrustedCert: true,
      user: srv.user,
      auth: { method: 'password', password: srv.password },
      proxy: `${scheme}://127.0.0.1:${via.port}`,
    };
    const outDir = join(dir, `${scheme}-${tls}`);
    const before = via.requests.length;
    const coalescedBefore = via.coalesced();
    const events: JobEvent[] = [];
    // A lost greeting would wait for the greeting timeout: short here, so a failure is quick.
    const spec = MailJobSpecSchema.parse({ kind: 'mail', account, outDir, connections: 2, timeoutMs: 5_000 });
    const summary = await runMailJob(spec, createJobControl((e) => events.push(e)));
    expect(summary.status, JSON.stringify(summary.failures)).toBe('succeeded');
    expect(summary.itemsDone).toBe(5);
    const emls = (await readdir(outDir, { recursive: true })).filter((f) => String(f).endsWith('.eml'));
    expect(emls).toHaveLength(5);
    const seen = via.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.version === (scheme === 'socks4' ? 4 : 5) && r.port === account.port)).toBe(true);
    // In clear the greeting rode with the reply on every connection; over implicit TLS the client speaks first.
    expect(via.coalesced() - coalescedBefore).toBe(tls === 'implicit' ? 0 : seen.length);
    // Every tunnel is closed with its session (bounded wait: the last LOGOUT's close is not awaited).
    for (let i = 0; i < 200 && via.openClients() > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(via.openClients()).toBe(0);
  });
});
