import net from 'node:net';
import type { ImapFlow, ImapFlowOptions, ImapTransport } from 'imapflow';
import type { MailAccount } from '../../../shared/job-spec';
import { abortedError } from '../core/fanout-error';
import { isImapGreetingLine, mapImapError, notImapError } from './imap-errors';
import { gateLogin, trimRoundTrips, type LoginGate } from './imapflow-rounds';
import { socksTransport, tlsModule, tlsOptions, upgradeToTls, type SocksTransport } from './socks-transport';
import { parseSocksUrl } from '../net/socks';

export interface ConnectOptions {
  /** Per-operation network timeout, ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Password logins use the LOGIN command (one round trip; imapflow's AUTHENTICATE PLAIN waits for
   * a continuation first). Set false for AUTHENTICATE, as `openClient` does by itself when a
   * server says LOGINDISABLED.
   */
  loginCommand?: boolean;
  /** LOGIN waits for `after` and reports success to `onLoggedIn` (see `gateLogin`). */
  login?: LoginGate;
}

/** The port a mode uses when none is given: 993 for implicit TLS, 143 otherwise. */
export function defaultPort(account: Pick<MailAccount, 'tls' | 'port'>): number {
  return account.port ?? (account.tls === 'implicit' ? 993 : 143);
}

/** "host:port", as used in messages and error contexts. */
export function accountWhere(account: Pick<MailAccount, 'host' | 'tls' | 'port'>): string {
  return `${account.host}:${defaultPort(account)}`;
}

/**
 * imapflow options for one worker connection. Certificates are checked unless the account says
 * `allowUntrustedCert`; STARTTLS is explicit (`doSTARTTLS: true` fails if the server does not offer
 * it, instead of silently staying in cleartext); cleartext only with `tls: 'none'`.
 * Auto-IDLE is off: workers only fetch.
 */
export function clientOptions(account: MailAccount, opts: ConnectOptions = {}): ImapFlowOptions {
  const timeout = opts.timeoutMs ?? 60_000;
  // Connecting (the proxy's handshake included) and the greeting: the user's timeout, at most 30 s.
  const connectMs = Math.min(timeout, 30_000);
  const auth =
    account.auth.method === 'password'
      ? { user: account.user, pass: account.auth.password, ...(opts.loginCommand === false ? {} : { loginMethod: 'LOGIN' }) }
      : { user: account.user, accessToken: account.auth.accessToken };
  return {
    host: account.host,
    port: defaultPort(account),
    secure: account.tls === 'implicit',
    doSTARTTLS: account.tls === 'starttls',
    auth,
    tls: { rejectUnauthorized: !account.allowUntrustedCert },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: connectMs,
    greetingTimeout: connectMs,
    // The user's timeout, as given: a stalled FETCH fails (and is retried on a new connection)
    // after it. An idle worker closed by it reconnects when it gets work.
    socketTimeout: timeout,
    ...(account.proxy ? proxyOptions(account.proxy, connectMs) : {}),
  };
}

/**
 * A TCP connection opened before imapflow loads (`preconnect`), waiting for the job's first
 * connection to this host and port; `failed` once it errored or closed (then it is not used).
 */
let preconnected: { where: string; socket: net.Socket; failed: boolean; onFail: () => void } | null = null;

/**
 * Opens the TCP connection of the job's first imapflow connection now, before imapflow and the
 * worker modules load (~0.1 s and more of the main thread): the connect and the server's greeting
 * then overlap that loading instead of following it. The socket is paused (the greeting waits,
 * unread, in it) and handed to imapflow as its `transport` by the first `openClient` for the same
 * host and port (TLS, implicit or STARTTLS, starts then, as imapflow would start it). Not through a
 * proxy. One that failed before it was taken is dropped, and imapflow connects as it always has
 * (the same error, reported the same way). `dropPreconnected` closes one never taken.
 */
export function preconnect(account: MailAccount): void {
  dropPreconnected();
  if (account.proxy) return;
  const socket = net.connect({ host: account.host, port: defaultPort(account) });
  // Paused before it connects: node then does not start reading (the greeting stays in the socket).
  socket.pause();
  const entry = { where: accountWhere(account), socket, failed: false, onFail: () => (entry.failed = true) };
  socket.on('error', entry.onFail);
  socket.once('close', entry.onFail);
  preconnected = entry;
}

/**
 * `preconnect` for a job about to connect through imapflow (runMailJob, a run without a quick
 * listing), unless a connection opened early is waiting already: the CLI opens one before the job
 * starts; one for another host (another job) is left alone. Returns what closes the connection it
 * opened if no `openClient` took it (the job ended first).
 */
export function preconnectUnlessWaiting(account: MailAccount): () => void {
  if (account.proxy || preconnected) return () => undefined;
  preconnect(account);
  const mine = preconnected;
  return () => {
    if (preconnected === mine) dropPreconnected();
  };
}

/** Closes a connection `preconnect` opened that no `openClient` took (the job ended before it connected). */
export function dropPreconnected(): void {
  preconnected?.socket.destroy();
  preconnected = null;
}

/** imapflow's `transport` over the socket `preconnect` opened for this account, or null (none, another host, it failed). */
function takePreconnected(account: MailAccount): ImapTransport | null {
  const entry = preconnected;
  preconnected = null;
  if (!entry) return null;
  if (entry.failed || account.proxy || entry.where !== accountWhere(account)) {
    entry.socket.destroy();
    return null;
  }
  const { socket } = entry;
  socket.off('error', entry.onFail);
  socket.off('close', entry.onFail);
  return {
    connect(options, onConnect) {
      if (options.secure) return tlsModule().connect({ ...tlsOptions(options), socket }, onConnect);
      if (socket.connecting) socket.once('connect', () => onConnect());
      else setImmediate(onConnect);
      return socket;
    },
    upgrade: upgradeToTls,
  };
}

/**
 * A SOCKS proxy through our transport (socks-transport.ts: imapflow's own SOCKS path can drop the
 * greeting); an HTTP CONNECT proxy through imapflow's `proxy`, which keeps it.
 */
function proxyOptions(proxy: string, connectMs: number): Pick<ImapFlowOptions, 'proxy' | 'transport'> {
  return /^http:/i.test(proxy) ? { proxy } : { transport: socksTransport(parseSocksUrl(proxy), connectMs) };
}

/**
 * Opens and authenticates one connection (one ImapFlow instance = one connection; it cannot be
 * reused once closed). Errors come back as FanoutError with a clear message; an abort closes the
 * socket at once.
 */
export async function openClient(account: MailAccount, opts: ConnectOptions = {}): Promise<ImapFlow> {
  if (opts.signal?.aborted) throw abortedError({ host: accountWhere(account) });
  try {
    return await connectOnce(account, opts);
  } catch (err) {
    // LOGINDISABLED: imapflow refuses LOGIN before sending it; AUTHENTICATE may still be allowed.
    const cause = err instanceof Error ? (err.cause as { message?: string } | undefined) : undefined;
    if (account.auth.method === 'password' && opts.loginCommand !== false && /login is disabled/i.test(`${(err as Error).message} ${cause?.message ?? ''}`)) {
      return connectOnce(account, { ...opts, loginCommand: false });
    }
    throw err;
  }
}

async function connectOnce(account: MailAccount, opts: ConnectOptions): Promise<ImapFlow> {
  // Loaded with the first connection: a run with nothing new (quick-list.ts) never loads imapflow
  // (with libmime, iconv-lite and mailsplit, ~a third of the CLI's start-up).
  const [{ ImapFlow }, { keepLiteralPieces }] = await Promise.all([import('imapflow'), import('./literal-pieces')]);
  // The connection opened early is the job's first connection's (the planning one): one whose LOGIN
  // waits for another's (a first run's workers, opened beside it) never takes it, whichever resumes
  // first. A server's per-IP limit counts connections as it accepts them (Courier closes the surplus
  // before its greeting): the planning connection must be the first, or the job fails with it.
  const early = opts.login?.after ? null : takePreconnected(account);
  const options = { ...clientOptions(account, opts), ...(early ? { transport: early } : {}) };
  const client = new ImapFlow(options);
  // imapflow emits 'error' for socket-level failures; the failing command rejects too.
  client.on('error', () => {});
  const firstLine = checkGreeting(client);
  trimRoundTrips(client);
  keepLiteralPieces(client);
  if (opts.login) gateLogin(client, opts.login);
  const onAbort = () => client.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    return client;
  } catch (err) {
    client.close();
    if (opts.signal?.aborted) throw abortedError({ host: accountWhere(account) });
    const line = firstLine();
    if (line !== null) throw notImapError(line, accountWhere(account));
    // Connected, no greeting: the socket's timeout (the user's) and the greeting's (at most 30 s) are
    // the same below 30 s, and either may fire first; both mean no greeting came.
    if ((err as { code?: unknown })?.code === 'ETIMEOUT' && !(client as unknown as { greetingReceived?: boolean }).greetingReceived && client.usable === false) {
      throw mapImapError({ code: 'GREETING_TIMEOUT', details: { greetingTimeout: options.greetingTimeout }, cause: err }, accountWhere(account));
    }
    // The tunnel's own failure names the proxy; the socket's bare error (ECONNREFUSED) would not.
    throw mapImapError((options.transport as SocksTransport | undefined)?.failure ?? err, accountWhere(account));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Reads the server's first line before imapflow does: one that cannot be an IMAP greeting (an FTP
 * server's `220 ...`, an SSH banner) closes the connection at once, and connect() then rejects
 * (imapflow itself would skip the line as an unknown tagged answer and wait out its greeting
 * timeout, 30 s). Returns what gives that line, or null (an IMAP greeting, or none arrived).
 * Nothing has been written then: imapflow sends nothing before the greeting (the password never
 * reaches such a server on this path).
 */
function checkGreeting(client: ImapFlow): () => string | null {
  const c = client as unknown as { handleResponse(data: { payload?: Buffer }): Promise<unknown> };
  let refused: string | null = null;
  c.handleResponse = async function (this: ImapFlow, data) {
    // Once: the prototype's from the greeting on (imapflow-rounds.ts sets and deletes its own later).
    delete (c as Partial<typeof c>).handleResponse;
    const line = data?.payload?.toString('latin1') ?? '';
    if (!isImapGreetingLine(line)) {
      refused = line;
      client.close();
      return false;
    }
    return Object.getPrototypeOf(client).handleResponse.call(this, data) as Promise<unknown>;
  };
  return () => refused;
}

/**
 * Sends LOGOUT without waiting for the answer, then closes the socket (the bytes are already on
 * their way): saves a round trip at the end of a run. Never throws.
 */
export function releaseClient(client: ImapFlow): void {
  if (client.usable) client.logout().catch(() => undefined);
  setImmediate(() => client.close());
}

/** Logs out politely, or just drops the socket when that fails. Never throws. */
export async function closeClient(client: ImapFlow): Promise<void> {
  try {
    if (client.usable) {
      await Promise.race([client.logout(), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
  } catch {
    // ignore: we are closing anyway
  } finally {
    client.close();
  }
}
