import type { ImapFlow } from 'imapflow';
import type { MailboxObject } from 'imapflow';
import type { MailFolderInfo } from './folders';

/**
 * Round trips imapflow spends that an archiver does not need, saved through three of its
 * internals (imapflow is pinned to 2.10.2 in package.json; tests/integration/mail runs every
 * path on Dovecot, Cyrus and Courier). At 50 ms RTT each is 50 ms, on every connection:
 * - the `ID` before LOGIN waiting for its answer: it goes out in the same write as LOGIN (or
 *   AUTHENTICATE), so both are answered in one round trip (`pipelineId`); the server's answer
 *   still fills imapflow's `serverInfo` before LOGIN's completes (answers come in order);
 * - a second `ID` after LOGIN when the first answer had fewer than two fields (Dovecot answers
 *   `("name" "Dovecot")`): the server has our ID from before LOGIN already;
 * - `LSUB` after every LIST: subscriptions are not archived;
 * - `LIST` + `LSUB` of a folder before its first EXAMINE on a connection that did not list it
 *   (every worker): the folder is known from the planning connection's LIST (`examineFolder`).
 * - `ENABLE` (CONDSTORE, UTF8=ACCEPT) at login: deferred to the connection's first EXAMINE
 *   (`examineFolder`), the first command whose answer it changes (HIGHESTMODSEQ on EXAMINE, MODSEQ
 *   on FETCH, UTF-8 folder names). LIST-STATUS asks HIGHESTMODSEQ by itself (RFC 7162: STATUS
 *   HIGHESTMODSEQ is a CONDSTORE-enabling command), so a run with nothing new, which never
 *   EXAMINEs, is one round trip shorter; a run that EXAMINEs sends ENABLE as before, just later.
 *   A connection that only fetches, or first plans a folder with nothing archived (a first run),
 *   does not send it where it would enable CONDSTORE alone.
 * A fifth internal, `authenticate`, lets a connection wait before LOGIN (`gateLogin`).
 */
interface ImapFlowInternals {
  /** The first ID's answer (undefined when the server did not offer ID before LOGIN). */
  idRequested?: unknown;
  /** What the client says of itself in ID (name, version, vendor, support-url). */
  clientInfo: Record<string, unknown>;
  /** The server's ID answer, lower-cased keys (imapflow's `id` command fills it). */
  serverInfo: Record<string, string> | null;
  /** Handlers of untagged answers no command in flight asked for, by name. */
  untaggedHandlers: Record<string, (untagged: { attributes?: unknown[] }) => unknown>;
  /** Writes one command line (or part) to the socket; a string gets its CRLF added. */
  write(chunk: string | Buffer): unknown;
  log: { debug(entry: Record<string, unknown>): void };
  /** LSUB is not sent when set (imapflow's own latch for servers that reject it). */
  skipLsub: boolean;
  /** What SELECT/EXAMINE knows of a folder without asking (filled by LIST). */
  folders: Map<string, unknown>;
  run(command: string, ...args: unknown[]): Promise<unknown>;
  /** LOGIN / AUTHENTICATE, called by `connect()` once the greeting, CAPABILITY and ID are done. */
  authenticate(): Promise<unknown>;
  /** ENABLE of CONDSTORE, UTF8=ACCEPT (and IMAP4rev2 where offered), called by `connect()` after NAMESPACE. */
  autoEnable(): Promise<unknown>;
}

/** The deferred ENABLE of each client (`trimRoundTrips`): sent once, before its first EXAMINE. */
const deferredEnable = new WeakMap<ImapFlow, () => Promise<unknown>>();

const internals = (client: ImapFlow) => client as unknown as ImapFlowInternals;

/** Set on a new client, before `connect()`. */
export function trimRoundTrips(client: ImapFlow): void {
  const c = internals(client);
  c.skipLsub = true;
  const run = c.run.bind(client);
  // The ID before LOGIN goes out with LOGIN (`pipelineId`); the one after authentication is
  // answered from it; an ID the server did not offer before LOGIN is still sent after it.
  c.run = (command, ...args) => {
    if (command !== 'ID') return run(command, ...args);
    if (!client.authenticated) return Promise.resolve(pipelineId(client));
    return c.idRequested ? Promise.resolve(c.idRequested) : run(command, ...args);
  };
  const autoEnable = c.autoEnable.bind(client);
  let enabling: Promise<unknown> | null = null;
  deferredEnable.set(client, () => (enabling ??= autoEnable()));
  c.autoEnable = () => Promise.resolve();
}

/** The tag of the pipelined ID: imapflow's own tags are numbers, so it never answers one of them. */
const ID_TAG = 'F0';

/** An IMAP quoted string of a printable ASCII value (ID's fields); null for anything else. */
function quoted(value: unknown): string | null {
  if (typeof value !== 'string' || !/^[\x20-\x7e]*$/.test(value)) return null;
  return `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

/**
 * ID before LOGIN without its own round trip: the line is held and written in front of the
 * connection's next command (LOGIN or AUTHENTICATE, after the login gate if any), in one write,
 * so the server answers both at once (RFC 2971 allows ID in any state; answers come in order).
 * imapflow waited for ID's answer before sending LOGIN: one round trip per connection. The
 * answer's untagged `* ID` fills `serverInfo` as imapflow's `id` command does (it is read after
 * LOGIN, e.g. to leave IMAP4rev2 off on servers known to break it), its tagged OK, under a tag
 * imapflow never uses, is one imapflow tolerates. Returns the map imapflow keeps as the ID's answer.
 */
function pipelineId(client: ImapFlow): Record<string, string> {
  const c = internals(client);
  const fields: string[] = [];
  for (const [key, value] of Object.entries(c.clientInfo)) {
    const k = quoted(key);
    const v = quoted(value);
    if (k && v) fields.push(k, v);
  }
  const line = `${ID_TAG} ID ${fields.length > 0 ? `(${fields.join(' ')})` : 'NIL'}\r\n`;
  const map: Record<string, string> = {};
  c.untaggedHandlers.ID = (untagged) => {
    const params = untagged.attributes?.[0];
    let key: string | undefined;
    (Array.isArray(params) ? params : []).forEach((attr: { value?: unknown }, i) => {
      const raw = attr?.value;
      const value = Buffer.isBuffer(raw) ? raw.toString() : typeof raw === 'string' ? raw : undefined;
      if (i % 2 === 0) key = value;
      else if (key !== undefined && value !== undefined) {
        const name = key.toLowerCase().trim();
        if (name !== '__proto__' && name !== 'constructor' && name !== 'prototype') map[name] = value;
      }
    });
    c.serverInfo = map;
  };
  const write = c.write.bind(client);
  c.write = (chunk) => {
    c.write = write;
    c.log.debug({ src: 'c', msg: line.trimEnd(), cid: (client as unknown as { id: string }).id, comment: 'pipelined with the next command' });
    return write(typeof chunk === 'string' ? line + chunk : Buffer.concat([Buffer.from(line, 'binary'), chunk]));
  };
  return map;
}

export interface LoginGate {
  /** LOGIN waits for this (a rejection fails the connection without sending LOGIN). */
  after?: Promise<unknown>;
  /** Called once LOGIN succeeded. */
  onLoggedIn?: () => void;
}

/**
 * Set on a new client, before `connect()`: its LOGIN waits for `gate.after`, so that worker
 * connections can connect, read the greeting and send ID while the first connection proves the
 * password (a wrong one still costs one LOGIN, not N), and log in the moment it has.
 */
export function gateLogin(client: ImapFlow, gate: LoginGate): void {
  const c = internals(client);
  const authenticate = c.authenticate.bind(client);
  c.authenticate = async () => {
    if (gate.after) await gate.after;
    const result = await authenticate();
    gate.onLoggedIn?.();
    return result;
  };
}

/**
 * Extensions the deferred ENABLE would turn on besides CONDSTORE: UTF8=ACCEPT changes the bytes a
 * server may send for a message with UTF-8 headers (RFC 6855 lets it downgrade them otherwise), and
 * IMAP4rev2 the shape of answers, so a connection that fetches must enable them as the others do.
 */
const ENABLED_FOR_EVERY_USE = ['UTF8=ACCEPT', 'IMAP4rev2'];

export interface ExamineOptions {
  /**
   * False for a connection that only fetches, or plans a folder with nothing archived: it needs
   * neither HIGHESTMODSEQ nor CHANGEDSINCE, so when CONDSTORE is all the deferred ENABLE would turn
   * on (Dovecot), it is not sent: one round trip less before the connection's first FETCH, and no
   * MODSEQ asked per message. ENABLE is valid only before a folder is selected, so after such an
   * EXAMINE the connection never sends it: a folder it plans later is planned as on a server
   * without CONDSTORE (every flag fetched; plan-folder.ts). Default true.
   */
  condstore?: boolean;
}

/**
 * EXAMINE (read-only SELECT) of a listed folder, without imapflow's LIST of it first; the
 * connection's deferred ENABLE goes first (once), unless `opts.condstore` is false and it would
 * enable CONDSTORE alone.
 */
export async function examineFolder(client: ImapFlow, info: Pick<MailFolderInfo, 'path' | 'name' | 'delimiter' | 'parent' | 'specialUse' | 'flags'>, opts: ExamineOptions = {}): Promise<MailboxObject> {
  const onlyCondstore = !ENABLED_FOR_EVERY_USE.some((ext) => client.capabilities.has(ext));
  if (opts.condstore !== false || !onlyCondstore) await deferredEnable.get(client)?.();
  // Selected without it: ENABLE is valid only before a folder is selected (RFC 5161), so it is
  // never sent on this connection from now on; a later EXAMINE asking CONDSTORE goes without.
  else deferredEnable.delete(client);
  const known = internals(client).folders;
  if (!known.has(info.path)) {
    known.set(info.path, {
      path: info.path,
      name: info.name,
      delimiter: info.delimiter,
      parentPath: info.parent ?? '',
      flags: new Set(info.flags),
      specialUse: info.specialUse ?? undefined,
      listed: true,
    });
  }
  return client.mailboxOpen(info.path, { readOnly: true });
}
