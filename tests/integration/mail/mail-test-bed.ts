import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { fillMailbox, type FolderFill } from '../../harness/dovecot-fill';
import type { ImapTestServer } from '../../harness/imap-server';
import type { MailAccount } from '../../../shared/job-spec';

/** What most mail tests set up: a real IMAP server filled over IMAP, an admin connection, a temp output folder. */
export interface MailTestBed<S extends ImapTestServer> {
  srv: S;
  /** Logged in (not read-only), open until `stop()`: fills and changes mailboxes, reads them back. */
  admin: ImapFlow;
  /** The temp folder; `out` is `<base>/out`. */
  base: string;
  out: string;
  /** Fanout's account on the server's plain port (cleartext, password); `over` changes fields (a TLS port, a proxy's port). */
  account(over?: Partial<MailAccount>): MailAccount;
  /** Logs the admin out, stops the server and removes the temp folder. */
  stop(): Promise<void>;
}

export interface MailTestBedOptions<S extends ImapTestServer> {
  /** Prefix of the temp folder's name (`mkdtemp`). */
  tmpPrefix: string;
  /** Folders to fill (`fillMailbox`), or a function of the server (its prefix and separator). */
  folders?: FolderFill[] | ((srv: S) => FolderFill[]);
  seed?: number;
  crlf?: boolean;
  /** Logs the admin connection out right after filling (`admin` is then closed). */
  logoutAdmin?: boolean;
}

/**
 * Starts the server (`start`: startDovecot, startCyrus, startCourier or startImapServer with
 * their options), fills it, and makes the temp folder: the set-up the mail test files shared.
 */
export async function openMailTestBed<S extends ImapTestServer>(start: () => Promise<S>, opts: MailTestBedOptions<S>): Promise<MailTestBed<S>> {
  const srv = await start();
  let admin: ImapFlow;
  try {
    admin = await srv.connect();
    const folders = typeof opts.folders === 'function' ? opts.folders(srv) : opts.folders;
    if (folders) await fillMailbox(admin, folders, opts.seed, { crlf: opts.crlf });
    if (opts.logoutAdmin) await admin.logout();
  } catch (err) {
    await srv.stop();
    throw err;
  }
  const base = mkdtempSync(join(tmpdir(), opts.tmpPrefix));
  return {
    srv,
    admin,
    base,
    out: join(base, 'out'),
    account: (over = {}) => ({ host: srv.host, port: srv.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password: srv.password }, ...over }),
    async stop() {
      try {
        if (!opts.logoutAdmin) await admin.logout().catch(() => undefined);
        await srv.stop();
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  };
}
