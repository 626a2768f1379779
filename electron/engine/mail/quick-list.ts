import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { MailAccount } from '../../../shared/job-spec';
import { abortedError } from '../core/fanout-error';
import { accountWhere, defaultPort } from './connect';
import { tlsModule } from './socks-transport';
import { accountDirOf } from './folder-names';
import { isImapGreetingLine, mapImapError, notImapError } from './imap-errors';
import { folderPath, greetingCapabilities, listEntry, statusEntry, taggedAnswer, tokenize } from './quick-list-parse';

/**
 * The listing a run with nothing new needs, in one round trip from the connection: LOGIN and
 * `LIST "" "*" RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ))` (LIST-STATUS, RFC 5819)
 * written at once (pipelined, RFC 3501 5.5) as soon as the connection is up, without waiting for the
 * greeting (over implicit TLS or the loopback interface: `writesBeforeGreeting`; otherwise with
 * LOGOUT after the greeting, as before), and LOGOUT when the greeting has been read; beside
 * imapflow rather than through it:
 * imapflow's connect() always spends ID, LOGIN, NAMESPACE (and CAPABILITY where the greeting has
 * none) as separate round trips before the first command it lets through, and sends one command
 * at a time. At 50 ms a round trip that was ~200 ms of a ~550 ms run with nothing new
 * (docs/BENCHMARKS.md), and loading imapflow itself is ~a third of the process's start-up.
 *
 * It only reads: whatever it does not understand exactly is a fall-back (`{ ok: false }`), and the
 * job then runs the full imapflow path as if it had never been tried. Handled: password logins
 * over cleartext or implicit TLS, no proxy, a greeting that announces its capabilities (Dovecot,
 * Cyrus, Courier do), a user and password that fit a quoted string. A server without LIST-STATUS
 * or CONDSTORE answers the LIST with BAD (or without STATUS data): a fall-back too.
 * A refused login is the same AUTH_FAILED error the full path reports, so a wrong password is not
 * tried twice (Dovecot delays each failed login by seconds).
 *
 * Why before the greeting: the greeting costs a round trip of its own (more where the server takes a
 * while to greet: Dovecot's login process, ~30 ms here), and nothing in it changes what is sent.
 * RFC 3501 and 9051 do not forbid a client to send before the greeting; the server reads what waits
 * on the connection once it has greeted (Dovecot, Cyrus and Courier answer the same either way;
 * tests/integration/mail/quick-nothing-new.test.ts). The greeting is still read first and checked as
 * before: anything but `* OK [CAPABILITY … IMAP4rev1 …]` without LOGINDISABLED (PREAUTH, BYE, an
 * answer before any capabilities; an untagged OK without them is read past: Dovecot's "Waiting for
 * authentication process") and the listing gives way before any answer is read. LOGOUT follows the
 * greeting, not the connection: a server that dropped what came before its greeting answers only
 * LOGOUT and closes, which is a fall-back at once (not a wait for answers that never come). A
 * cleartext connection to another host still waits for the greeting before LOGIN: the password
 * must not cross the wire in clear to a server announcing LOGINDISABLED (imapflow would not send it).
 */

/** One folder as listed, with its STATUS numbers (decimal strings) when the server sent them. */
export interface QuickFolder {
  /** As imapflow reports it (decoded, INBOX upper-cased, no leading delimiter). */
  path: string;
  delimiter: string;
  flags: string[];
  status: Map<string, string> | null;
}

export type QuickListing = { ok: true; folders: QuickFolder[] } | { ok: false; reason: string };

export interface QuickListOptions {
  /** The user's per-operation timeout, ms (connect and greeting: at most 30 s, as imapflow). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called once LOGIN and LIST are written (as soon as the connection is up, or after the greeting: writesBeforeGreeting), before their answers. */
  onWritten?: () => void;
}

const TAGS = { login: 'Q1', list: 'Q2', logout: 'Q3' } as const;
const LIST_COMMAND = 'LIST "" "*" RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ))';

/** A quoted IMAP string, or null where only a literal would do (8-bit, control characters). */
function quoted(s: string): string | null {
  if (/[^\x20-\x7e]/.test(s)) return null;
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Whether LOGIN and LIST may leave before the greeting (see the top of this file): only where the
 * password is protected without reading it. Over implicit TLS it follows the handshake, and nobody
 * else sees the loopback interface. A cleartext connection to another host waits for the greeting,
 * as imapflow does, so that a server announcing LOGINDISABLED (no plaintext passwords here) never
 * receives the password: the full path then refuses to log in ("Login is disabled").
 */
export function writesBeforeGreeting(account: Pick<MailAccount, 'host' | 'tls'>): boolean {
  if (account.tls === 'implicit') return true;
  if (account.tls !== 'none') return false;
  const host = account.host.toLowerCase();
  return host === 'localhost' || host === '::1' || (net.isIPv4(host) && host.startsWith('127.'));
}

/** Whether this account can be listed the quick way at all (before any connection). */
export function quickListReason(account: MailAccount): string | null {
  if (account.auth.method !== 'password') return 'not a password login';
  if (account.proxy) return 'through a proxy';
  if (account.tls !== 'none' && account.tls !== 'implicit') return `TLS mode ${account.tls}`;
  if (quoted(account.user) === null || quoted(account.auth.password) === null) return 'user or password needs a literal';
  return null;
}

/**
 * Logs in, lists every folder with its status, logs out: one connection, one write after the
 * greeting. Resolves `{ ok: false }` for anything to leave to imapflow; rejects with a FanoutError
 * only for a refused login (AUTH_FAILED, as the full path), a connect or greeting timeout (TIMEOUT),
 * a first line that is not IMAP (CONNECTION_RESET: `notImapError`), and an abort.
 */
export function quickList(account: MailAccount, opts: QuickListOptions = {}): Promise<QuickListing> {
  const why = quickListReason(account);
  if (why) return Promise.resolve({ ok: false, reason: why });
  if (account.auth.method !== 'password') return Promise.resolve({ ok: false, reason: 'not a password login' });
  const where = accountWhere(account);
  const host = account.host;
  const port = defaultPort(account);
  const commands = `${TAGS.login} LOGIN ${quoted(account.user)} ${quoted(account.auth.password)}\r\n${TAGS.list} ${LIST_COMMAND}\r\n`;
  const logout = `${TAGS.logout} LOGOUT\r\n`;
  const early = writesBeforeGreeting(account);
  const userTimeout = opts.timeoutMs ?? 60_000;
  return new Promise<QuickListing>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(abortedError({ host: where }));
      return;
    }
    // imapflow names the server for SNI and the certificate check unless it is an IP literal.
    // node:tls is loaded only here: a cleartext listing, started before the CLI loads, does not pay for it.
    const socket =
      account.tls === 'implicit'
        ? tlsModule().connect({ host, port, rejectUnauthorized: !account.allowUntrustedCert, ...(net.isIP(host) ? {} : { servername: host }) })
        : net.connect({ host, port });
    socket.setNoDelay(true);
    let phase: 'connect' | 'greeting' | 'answers' = 'connect';
    let settled = false;
    let pending = '';
    const folders = new Map<string, QuickFolder>();
    const statuses = new Map<string, Map<string, string>>();
    let loggedIn = false;

    const finish = (result: QuickListing | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // LOGOUT is on its way already: its answer is not waited for (as releaseClient).
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const fallBack = (reason: string) => finish({ ok: false, reason });
    const onAbort = () => finish(abortedError({ host: where }));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let timer = setTimeout(() => finish(mapImapError({ code: 'CONNECT_TIMEOUT' }, where)), Math.min(userTimeout, 30_000));
    const rearm = (ms: number, onTimeout: () => void) => {
      clearTimeout(timer);
      timer = setTimeout(onTimeout, ms);
    };

    socket.once(account.tls === 'implicit' ? 'secureConnect' : 'connect', () => {
      phase = 'greeting';
      const greetingMs = Math.min(userTimeout, 30_000);
      rearm(greetingMs, () => finish(mapImapError({ code: 'GREETING_TIMEOUT', details: { greetingTimeout: greetingMs } }, where)));
      // LOGIN and LIST leave now, the greeting's round trip overlapping theirs (see the top of this file).
      if (early) {
        socket.write(commands);
        opts.onWritten?.();
      }
    });
    // A socket or TLS error: the full path connects again and reports it as it always has.
    socket.on('error', (err: Error & { code?: string }) => fallBack(`${phase}: ${err.code ?? err.message}`));
    socket.on('close', () => fallBack(`closed during ${phase}`));
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\r\n'); end >= 0 && !settled; end = pending.indexOf('\r\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        onLine(line);
      }
    });

    function onLine(line: string): void {
      if (phase === 'greeting') {
        const caps = greetingCapabilities(line);
        // Dovecot first answers a command that came before its login process was ready with
        // `* OK Waiting for authentication process to respond..`, then greets as usual: an untagged
        // OK without capabilities is read past, until the line with them. Anything else first (an
        // answer, PREAUTH, BYE) is a fall-back, as a greeting without them always was.
        if (!caps && /^\* OK\b/i.test(line)) return;
        // Not IMAP at all (an FTP server's 220, an HTTP server's answer to what we wrote): the full
        // path would get the same line, or, from an HTTP server, silence until its greeting timeout.
        if (!isImapGreetingLine(line)) return finish(notImapError(line, where));
        if (!caps) return fallBack('greeting without capabilities');
        if (!caps.has('IMAP4REV1') || caps.has('LOGINDISABLED')) return fallBack('greeting: no IMAP4rev1 LOGIN');
        phase = 'answers';
        rearm(userTimeout, () => fallBack('no answer in time'));
        socket.write(early ? logout : commands + logout);
        if (!early) opts.onWritten?.();
        return;
      }
      if (phase !== 'answers') return fallBack(`data during ${phase}`);
      if (/\{\d+\+?\}$/.test(line)) return fallBack('a literal in an answer');
      const tagged = taggedAnswer(line);
      if (tagged) return onTagged(tagged);
      const m = /^\* (LIST|STATUS) (.*)$/i.exec(line);
      if (!m) return; // CAPABILITY, BYE, OK [...]: nothing the listing needs
      const tokens = tokenize(m[2]!);
      if (!tokens) return fallBack(`unreadable ${m[1]}`);
      if (m[1]!.toUpperCase() === 'LIST') {
        const entry = listEntry(tokens);
        if (!entry) return fallBack('unreadable LIST');
        const path = folderPath(entry.raw, entry.delimiter);
        if (folders.has(path)) return fallBack(`${path} listed twice`);
        folders.set(path, { path, delimiter: entry.delimiter, flags: entry.flags, status: null });
      } else {
        const entry = statusEntry(tokens);
        if (!entry) return fallBack('unreadable STATUS');
        statuses.set(folderPath(entry.raw, ''), entry.items);
      }
    }

    function onTagged(a: NonNullable<ReturnType<typeof taggedAnswer>>): void {
      if (a.tag === TAGS.login) {
        if (a.status === 'OK') {
          // The list is only worth waiting for where the server says, in this answer (RFC 3501
          // 7.1: servers SHOULD), that it has LIST-STATUS and CONDSTORE. Courier has neither, and
          // drops what was sent after LOGIN (its login process hands over to another), so its LIST
          // would never be answered: fall back at once.
          const caps = a.capabilities;
          if (!caps || !(caps.has('IMAP4REV2') || (caps.has('LIST-STATUS') && caps.has('CONDSTORE')))) return fallBack('no LIST-STATUS and CONDSTORE announced at login');
          loggedIn = true;
          return;
        }
        // As imapflow reports a refused LOGIN (responseText, serverResponseCode), so that the error
        // is the full path's; a refusal for another reason (too many connections…) is left to it.
        if (a.status === 'NO' && (a.code === null || a.code === 'AUTHENTICATIONFAILED' || a.code === 'AUTHORIZATIONFAILED')) {
          return finish(mapImapError({ message: 'Command failed', responseStatus: 'NO', responseText: a.text || undefined, serverResponseCode: a.code ?? undefined, authenticationFailed: true }, where));
        }
        return fallBack(`LOGIN ${a.status} ${a.code ?? ''}`);
      }
      if (a.tag === TAGS.list) {
        if (!loggedIn || a.status !== 'OK') return fallBack(`LIST ${a.status}`);
        for (const [path, items] of statuses) {
          const f = folders.get(path) ?? [...folders.values()].find((x) => folderPath(path, x.delimiter) === x.path);
          if (f) f.status = items;
        }
        return finish({ ok: true, folders: [...folders.values()] });
      }
    }
  });
}

/**
 * The quick listing started by the process before the job's modules load (`startEarlyQuickList`),
 * waiting for the job that asks for the same account, folder and timeout.
 */
let early: { key: string; listing: Promise<QuickListing>; controller: AbortController; written: Promise<void> } | null = null;

/**
 * What a listing is for, field by field: the account as MailAccountSchema leaves it and as
 * electron/cli/mail-early.ts builds it from the command line compare equal whatever their key order.
 */
const earlyKey = (account: MailAccount, root: string, timeoutMs: number | undefined) =>
  JSON.stringify([
    account.host,
    account.port ?? null,
    account.tls,
    Boolean(account.allowUntrustedCert),
    account.user,
    account.auth.method,
    account.auth.method === 'password' ? account.auth.password : account.auth.accessToken,
    account.proxy ?? null,
    root,
    timeoutMs ?? 60_000,
  ]);

/**
 * Starts the quick listing of an account archived before at once, before the job's code loads:
 * `fanout mail` (and the bench's child) call it with the account as parsed and the `--out` folder,
 * then import the engine (~0.1–0.2 s of module loading, zod's schemas, the input checks) while the
 * greeting and the one write's answers (two round trips and the server's LOGIN) are on the wire.
 * The job takes it up (`takeEarlyQuickList`, from startQuickListing) only if it asks for the same
 * account, folder and timeout; otherwise it is aborted and the job lists as it always has. Where the
 * quick listing does not apply (no folders.json: a first run; a mode quick-list.ts leaves to
 * imapflow) nothing starts. A listing already started for the same account, folder and timeout
 * (by bin/fanout.js, before the CLI loaded: electron/cli/mail-early.ts) is kept. Returns whether
 * one is under way.
 */
export function startEarlyQuickList(account: MailAccount, outDir: string, timeoutMs?: number): boolean {
  if (quickListReason(account) !== null) return false;
  const root = accountDirOf(outDir, account);
  const key = earlyKey(account, root, timeoutMs);
  if (early?.key === key) return true;
  if (!existsSync(join(root, 'folders.json'))) return false;
  early?.controller.abort();
  const controller = new AbortController();
  let wrote!: () => void;
  const written = new Promise<void>((resolve) => (wrote = resolve));
  const listing = quickList(account, { timeoutMs, signal: controller.signal, onWritten: () => wrote() });
  listing.then(() => wrote(), () => wrote());
  early = { key, listing, controller, written };
  return true;
}

/** Whether a listing started before the job's code loaded is under way (for the CLI's first node). */
export function earlyQuickListStarted(): boolean {
  return early !== null;
}

/**
 * Resolves once the early listing has written LOGIN and LIST (as soon as its connection is up) or
 * has settled, or after `capMs`; at once when there is none. The CLI's first node waits for it
 * before it loads zod's schemas (~40-100 ms of the main thread in one piece): the connection, up
 * meanwhile, would otherwise be seen only after them, and the listing's write with it.
 */
export function earlyQuickListWritten(capMs: number): Promise<void> {
  if (!early) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([early.written, new Promise<void>((resolve) => (timer = setTimeout(resolve, capMs)))]).finally(() => clearTimeout(timer));
}

/**
 * The listing `startEarlyQuickList` started for this account, folder and timeout, left in place for
 * the job to take up (`takeEarlyQuickList`), or null: none was started, or for another job. The CLI's
 * first node reads it to decide whether the run has work at all (quick-decision.ts).
 */
export function peekEarlyQuickList(account: MailAccount, root: string, timeoutMs: number | undefined): Promise<QuickListing> | null {
  return early && early.key === earlyKey(account, root, timeoutMs) ? early.listing : null;
}

/**
 * The listing `startEarlyQuickList` started for this account, folder and timeout (the job's abort
 * signal now stops it), or null: none was started, or for another job (that one is aborted).
 */
export function takeEarlyQuickList(account: MailAccount, root: string, opts: QuickListOptions): Promise<QuickListing> | null {
  const e = early;
  early = null;
  if (!e) return null;
  if (e.key !== earlyKey(account, root, opts.timeoutMs)) {
    e.controller.abort();
    return null;
  }
  const signal = opts.signal;
  if (signal) {
    const onAbort = () => e.controller.abort();
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      void e.listing.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => undefined);
    }
  }
  return e.listing;
}
