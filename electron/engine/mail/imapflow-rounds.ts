import type { ImapFlow } from 'imapflow';
import type { MailboxObject } from 'imapflow';
import type { MailFolderInfo } from './folders';
import { bodyRow, type BodyRow } from './body-rows';
import type { MessageBytes } from './message-file';

export type { BodyRow } from './body-rows';

/**
 * Round trips imapflow spends that an archiver does not need, saved through three of its
 * internals (imapflow is pinned to 2.10.2 in package.json; tests/integration/mail runs every
 * path on Dovecot, Cyrus and Courier). At 50 ms RTT each is 50 ms, on every connection:
 * - the `ID` before LOGIN waiting for its answer: it goes out in the same write as LOGIN (or
 *   AUTHENTICATE), so both are answered in one round trip (`pipelineId`); the server's answer
 *   still fills imapflow's `serverInfo` before LOGIN's completes (answers come in order);
 * - `NAMESPACE` after LOGIN: written behind LOGIN in that same write, and imapflow's own NAMESPACE
 *   answered from it (`pipelineNamespace`; not on servers that drop what follows LOGIN: Courier);
 * - the size FETCH after EXAMINE of a folder with nothing archived: in EXAMINE's write
 *   (`examineWithSizes`);
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
 * A fifth internal, `authenticate`, lets a connection wait before LOGIN (`gateLogin`); the
 * pipelined commands use `write`, `commandParts` and `handleResponse` (their tagged answers, under
 * tags imapflow never uses, are read before imapflow counts them as unknown). The body FETCH's
 * answer lines are offered to the fetching loop through the same `handleResponse` wrapper before
 * imapflow parses them (`takeBodyRows`, body-rows.ts): not a round trip, imapflow's CPU per message.
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
  /** Parts of the command being written still to come (literals): empty when this write ends the command. */
  commandParts: unknown[];
  /** One response line read off the socket (its bytes in `payload`), handled before the next is read. */
  handleResponse(data: { payload?: Buffer; literals?: MessageBytes[] }): Promise<unknown>;
  /** What NAMESPACE sets (imapflow's namespace command; LIST and folder paths read it). */
  namespaces: { personal: NamespaceEntry[]; other: NamespaceEntry[] | false; shared: NamespaceEntry[] | false } | null;
  namespace: NamespaceEntry | null;
}

interface NamespaceEntry {
  prefix: string;
  delimiter: string | null;
}

/** An untagged response as imapflow's parser gives it. */
interface Untagged {
  command?: string;
  attributes?: unknown[];
}

/** The deferred ENABLE of each client (`trimRoundTrips`): sent once, before its first EXAMINE. */
const deferredEnable = new WeakMap<ImapFlow, () => Promise<unknown>>();

const internals = (client: ImapFlow) => client as unknown as ImapFlowInternals;

/** Set on a new client, before `connect()`. */
export function trimRoundTrips(client: ImapFlow): void {
  const c = internals(client);
  c.skipLsub = true;
  const run = c.run.bind(client);
  // The ID before LOGIN goes out with LOGIN (`pipelineId`), NAMESPACE behind it (`pipelineNamespace`);
  // the ID after authentication is answered from the first; an ID the server did not offer before
  // LOGIN is still sent after it.
  c.run = async (command, ...args) => {
    if (command === 'NAMESPACE') return (await namespaceFromPipeline(client)) ?? run(command, ...args);
    if (command !== 'ID') return run(command, ...args);
    if (!client.authenticated) return pipelineId(client);
    return c.idRequested ? c.idRequested : run(command, ...args);
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
  onNextWrite(client, () => {
    c.log.debug({ src: 'c', msg: line.trimEnd(), cid: (client as unknown as { id: string }).id, comment: 'pipelined with the next command' });
    return { before: line };
  });
  pipelineNamespace(client);
  return map;
}

/**
 * What a hook puts in the same write as the connection's next command: `before` (complete lines
 * with their CRLF) in front of it, `after` (complete lines) behind it, only when that write ends
 * the command (no literal still to come).
 */
interface WriteExtra {
  before?: string;
  after?: string;
}
type WriteHook = (text: string, complete: boolean) => WriteExtra | null;

/** Hooks waiting for each client's next command write (`onNextWrite`). */
const writeHooks = new WeakMap<ImapFlow, WriteHook[]>();

/**
 * Calls `hook` with the connection's next write (a command, or its first part when a literal
 * follows), once, and writes what it returns with it: one write, so one round trip for all.
 */
function onNextWrite(client: ImapFlow, hook: WriteHook): void {
  const hooks = writeHooks.get(client);
  if (hooks) {
    hooks.push(hook);
    return;
  }
  const list = [hook];
  writeHooks.set(client, list);
  const c = internals(client);
  const write = c.write.bind(client);
  c.write = (chunk) => {
    c.write = write;
    writeHooks.delete(client);
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const complete = c.commandParts.length === 0;
    let before = '';
    let after = '';
    for (const h of list) {
      const extra = h(text, complete);
      before += extra?.before ?? '';
      if (complete && extra?.after) after += extra.after;
    }
    if (!before && !after) return write(chunk);
    // imapflow adds the CRLF that ends the write (the last command's, ours when `after` is set).
    const tail = after ? `\r\n${after.replace(/\r\n$/, '')}` : '';
    return write(typeof chunk === 'string' ? before + chunk + tail : Buffer.concat([Buffer.from(before, 'binary'), chunk, Buffer.from(tail, 'binary')]));
  };
}

/** Tags of our pipelined commands: imapflow's own are hexadecimal numbers (no Z), pipelineId's is F0. */
let pipelinedTags = 0;

/**
 * What a client's response lines are offered to before imapflow reads them: commands written behind
 * another (`pipelineBehind`) and not answered yet, by tag, and the body rows of a FETCH being read
 * (`takeBodyRows`). While any is set, the client's `handleResponse` is a wrapper (`hooksOf`).
 */
interface ResponseHooks {
  awaiting: Map<string, Awaited>;
  bodyRows: ((row: BodyRow) => boolean | Promise<boolean>) | null;
}

const responseHooks = new WeakMap<ImapFlow, ResponseHooks>();

/**
 * The client's hooks, its `handleResponse` wrapped while there are any: each response line read off
 * the socket is offered to them first, in the order read (imapflow handles one line at a time, and
 * reads the next only once this returns). A line no hook takes goes to imapflow's own handler.
 */
function hooksOf(client: ImapFlow): ResponseHooks {
  let hooks = responseHooks.get(client);
  if (hooks) return hooks;
  hooks = { awaiting: new Map(), bodyRows: null };
  responseHooks.set(client, hooks);
  const own = hooks;
  const handle = Object.getPrototypeOf(client).handleResponse as ImapFlowInternals['handleResponse'];
  internals(client).handleResponse = async function (this: ImapFlow, data) {
    const p = data?.payload;
    if (p && p[0] === 0x2a) {
      const literals = data.literals;
      // An untagged line a pipelined command reads itself (`rawLine`): not parsed by imapflow.
      if (!literals?.length) {
        for (const w of own.awaiting.values()) if (w.rawLine?.(p)) return true;
      } else if (own.bodyRows && literals.length === 1) {
        const row = bodyRow(p, literals);
        if (row && (await own.bodyRows(row))) {
          noteRow(this, row);
          return true;
        }
      }
    }
    // The tagged answer is one imapflow does not know (it counts it and goes on): read first here.
    const answer = p && p[0] === 0x5a ? /^(Z\d+) (OK|NO|BAD)\b/i.exec(p.toString('latin1', 0, Math.min(p.length, 32))) : null;
    const result = await handle.call(this, data);
    if (answer) own.awaiting.get(answer[1]!)?.finish(answer[2]!.toUpperCase());
    return result;
  };
  return hooks;
}

/** Unwraps the client's `handleResponse` once no hook is left. */
function dropIdleHooks(client: ImapFlow, hooks: ResponseHooks): void {
  if (hooks.awaiting.size > 0 || hooks.bodyRows) return;
  if (responseHooks.get(client) !== hooks) return;
  responseHooks.delete(client);
  delete (internals(client) as Partial<ImapFlowInternals>).handleResponse;
}

/**
 * What imapflow's `formatMessageResponse` does to the selected mailbox for a row it reads: a UID at
 * or past `uidNext` moves it on, a MODSEQ past `highestModseq` raises it.
 */
function noteRow(client: ImapFlow, row: BodyRow): void {
  const mailbox = client.mailbox as (MailboxObject & { uidNext?: number; highestModseq?: bigint }) | false;
  if (!mailbox) return;
  if (!mailbox.uidNext || mailbox.uidNext <= row.uid) mailbox.uidNext = row.uid + 1;
  if (row.modseq !== undefined && (!mailbox.highestModseq || mailbox.highestModseq < row.modseq)) mailbox.highestModseq = row.modseq;
}

/**
 * Offers the client's body rows (`UID FETCH … BODY.PEEK[]` answer lines, read from their bytes:
 * body-rows.ts) to `take` instead of imapflow's parser and `fetch()` iterator, until the returned
 * function is called. `take` returns true when it took the row (imapflow then never sees it), false
 * to leave it to imapflow (it then comes out of `fetch()` as before); imapflow reads the next line
 * only once `take` has settled, so awaiting in it holds the socket back as the iterator's consumer
 * did. `take` must not throw. Only one FETCH is in flight on a connection (imapflow sends one
 * command at a time), and the caller sets this around its own.
 */
export function takeBodyRows(client: ImapFlow, take: (row: BodyRow) => boolean | Promise<boolean>): () => void {
  const hooks = hooksOf(client);
  hooks.bodyRows = take;
  return () => {
    if (hooks.bodyRows !== take) return;
    hooks.bodyRows = null;
    dropIdleHooks(client, hooks);
  };
}

/** A pipelined command being answered: how it completes, and its lines read without imapflow's parser (`rawLine`). */
interface Awaited {
  finish(status: string | null): void;
  rawLine?: (payload: Buffer) => boolean;
}

/**
 * Writes `command` under a tag of its own in the same write as the connection's next command when
 * `fits(that command's text)`, so both are answered in one round trip (RFC 3501 5.5: commands may
 * be pipelined; answers come in order). Its untagged answers go to `untagged` (imapflow's handlers
 * for those names are set aside meanwhile: only untagged answers no command in flight claims reach
 * them, and nothing else is in flight on the connection until the caller has the answer). Resolves
 * with its tagged completion's status (OK, NO, BAD), or null: not written (the next write was
 * another command), or the connection closed first.
 */
function pipelineBehind(client: ImapFlow, fits: (text: string) => boolean, command: string, untagged: Record<string, (u: Untagged) => void>, rawLine?: (payload: Buffer) => boolean): Pipelined {
  const c = internals(client);
  const tag = `Z${++pipelinedTags}`;
  let settle!: (status: string | null) => void;
  const status = new Promise<string | null>((resolve) => (settle = resolve));
  const saved = new Map(Object.keys(untagged).map((k) => [k, c.untaggedHandlers[k]]));
  let done = false;
  const finish = (result: string | null) => {
    if (done) return;
    done = true;
    for (const [k, h] of saved) {
      if (h) c.untaggedHandlers[k] = h;
      else delete c.untaggedHandlers[k];
    }
    const hooks = responseHooks.get(client);
    hooks?.awaiting.delete(tag);
    if (hooks) dropIdleHooks(client, hooks);
    client.off('close', onClose);
    settle(result);
  };
  const onClose = () => finish(null);
  let written = false;
  onNextWrite(client, (text, complete) => {
    if (done || !complete || !fits(text)) {
      finish(null);
      return null;
    }
    for (const [k, h] of Object.entries(untagged)) c.untaggedHandlers[k] = h;
    client.once('close', onClose);
    hooksOf(client).awaiting.set(tag, rawLine ? { finish, rawLine } : { finish });
    written = true;
    return { after: `${tag} ${command}` };
  });
  return { status, cancelUnsent: () => written || finish(null), giveUp: () => finish(null) };
}

/** A command written behind another one (`pipelineBehind`). */
interface Pipelined {
  /** Its tagged answer's status (OK, NO, BAD), or null: not written, or the connection closed first. */
  status: Promise<string | null>;
  /** Gives it up if the command it was to follow was not written (`status` is then null). */
  cancelUnsent(): void;
  /**
   * Stops waiting for its answer (`status` is then null) and gives imapflow its handlers back: an
   * answer that still comes is one imapflow does not know (a tagged one it counts and ignores).
   */
  giveUp(): void;
}

/** NAMESPACE written behind LOGIN (`pipelineNamespace`): its answer, read when imapflow asks for it. */
const pipelinedNamespace = new WeakMap<ImapFlow, { status: Promise<string | null>; attributes: unknown[] | null }>();

/**
 * NAMESPACE behind a LOGIN (a complete line: not AUTHENTICATE, whose continuation would take it
 * for the client's answer, nor a LOGIN with a literal still to come). imapflow sends NAMESPACE
 * right after LOGIN and waits for its answer before anything else (the namespace decides folder
 * paths): one round trip per connection, the planning one's before its LIST.
 */
function pipelineNamespace(client: ImapFlow): void {
  const entry: { status: Promise<string | null>; attributes: unknown[] | null } = { status: Promise.resolve(null), attributes: null };
  entry.status = pipelineBehind(client, (text) => /^\S+ LOGIN /i.test(text), 'NAMESPACE', {
    NAMESPACE: (u) => {
      if (u.attributes?.length) entry.attributes = u.attributes;
    },
  }).status;
  pipelinedNamespace.set(client, entry);
}

/**
 * How long imapflow's NAMESPACE waits for the pipelined one's answer at most, where the login's
 * answer says the server is one that keeps commands sent behind LOGIN. Its answer comes right after
 * LOGIN's; a server that dropped it would otherwise leave the connection waiting for its timeout.
 */
const PIPELINED_NAMESPACE_WAIT_MS = 5_000;

/**
 * imapflow's NAMESPACE, answered by the one written behind LOGIN, with the result imapflow's own
 * command gives (commands/namespace.js: `namespaces`, `namespace`, the personal one returned);
 * null when there is none to use, and imapflow sends its own: not pipelined, not answered OK, no
 * NAMESPACE capability (imapflow then derives the namespace from LIST), or a server whose LOGIN
 * answer does not announce IMAP4rev2 or LIST-STATUS and CONDSTORE: Courier drops what follows
 * LOGIN (its login process hands over to another), so there the answer may never come.
 */
async function namespaceFromPipeline(client: ImapFlow): Promise<NamespaceEntry | null> {
  const entry = pipelinedNamespace.get(client);
  pipelinedNamespace.delete(client);
  if (!entry || !client.authenticated || !client.capabilities.has('NAMESPACE')) return null;
  const caps = client.capabilities;
  if (!(caps.has('IMAP4rev2') || (caps.has('LIST-STATUS') && caps.has('CONDSTORE')))) return null;
  let timer: NodeJS.Timeout | undefined;
  const status = await Promise.race([entry.status, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), PIPELINED_NAMESPACE_WAIT_MS)))]).finally(() => clearTimeout(timer));
  if (status !== 'OK' || !entry.attributes) return null;
  const c = internals(client);
  const personal = namespaceInfo(entry.attributes[0]) || [];
  const map = { personal, other: namespaceInfo(entry.attributes[1]), shared: namespaceInfo(entry.attributes[2]) };
  if (!map.personal[0]) map.personal[0] = { prefix: '', delimiter: '.' };
  map.personal[0].prefix = map.personal[0].prefix || '';
  c.namespaces = map;
  c.namespace = map.personal[0];
  return c.namespace;
}

/** One namespace list of a NAMESPACE answer, as imapflow reads it (commands/namespace.js getNamsepaceInfo). */
function namespaceInfo(attribute: unknown): NamespaceEntry[] | false {
  if (!Array.isArray(attribute) || attribute.length === 0) return false;
  const entries: NamespaceEntry[] = [];
  for (const pair of attribute) {
    if (!Array.isArray(pair)) continue;
    let prefix = stringValue(pair[0]);
    const delimiter = pair[1] === null ? null : stringValue(pair[1]);
    if (pair.length < 2 || prefix === undefined || delimiter === undefined) continue;
    if (delimiter && prefix && prefix.charAt(prefix.length - 1) !== delimiter) prefix += delimiter;
    entries.push({ prefix, delimiter });
  }
  return entries;
}

/** imapflow's getStringValue: an atom's or string's value as text. */
function stringValue(attribute: unknown): string | undefined {
  const value = (attribute as { value?: unknown } | null)?.value;
  if (Buffer.isBuffer(value)) return value.toString();
  return typeof value === 'string' ? value : undefined;
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
export async function examineFolder(client: ImapFlow, info: FolderToExamine, opts: ExamineOptions = {}, beforeExamine?: () => void): Promise<MailboxObject> {
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
  beforeExamine?.();
  return client.mailboxOpen(info.path, { readOnly: true });
}

type FolderToExamine = Pick<MailFolderInfo, 'path' | 'name' | 'delimiter' | 'parent' | 'specialUse' | 'flags'>;

/** A message's UID and RFC822.SIZE. */
export interface SizedMessage {
  uid: number;
  size: number;
}

/**
 * EXAMINE with `UID FETCH 1:* (UID RFC822.SIZE)` written behind it, in the same write: a folder
 * with nothing archived (a first run) needs every UID and size, and asked after EXAMINE's answer
 * they cost a round trip of their own (imapflow sends one command at a time). The answers are read
 * straight from imapflow's parsed lines (UID and RFC822.SIZE; no message object per line, no
 * hand-over per message through `fetch()`'s iterator). `sizes` is null when they cannot be used
 * (the FETCH not written behind EXAMINE, not answered OK, or not one line per message EXAMINE
 * counted): the caller then asks as before. EXAMINE's own failure is thrown as before (the FETCH
 * behind it then fails on the server too, and is dropped).
 */
export async function examineWithSizes(client: ImapFlow, info: FolderToExamine, opts: ExamineOptions = {}): Promise<{ mailbox: MailboxObject; sizes: SizedMessage[] | null }> {
  if (dropsPipelined.has(client)) return { mailbox: await examineFolder(client, info, opts), sizes: null };
  const sizes: SizedMessage[] = [];
  let pipelined: Pipelined | null = null;
  let heardAt = 0;
  const mailbox = await examineFolder(client, info, opts, () => {
    pipelined = pipelineBehind(
      client,
      (text) => /^\S+ EXAMINE /i.test(text),
      'UID FETCH 1:* (UID RFC822.SIZE)',
      {
        FETCH: (u) => {
          heardAt = performance.now();
          const m = sizedMessage(u);
          if (m) sizes.push(m);
        },
      },
      (payload) => {
        const m = sizedLine(payload);
        if (!m) return false;
        heardAt = performance.now();
        sizes.push(m);
        return true;
      },
    );
  }).catch((err: unknown) => {
    (pipelined as Pipelined | null)?.cancelUnsent();
    throw err;
  });
  const p = pipelined as Pipelined | null;
  if (!p) return { mailbox, sizes: null };
  // imapflow may not have written EXAMINE at all (the folder selected already).
  p.cancelUnsent();
  heardAt = Math.max(heardAt, performance.now());
  const status = await answerWithin(p, () => heardAt, PIPELINED_SILENCE_MS);
  if (status === null && !client.usable) return { mailbox, sizes: null };
  if (status === null) dropsPipelined.add(client);
  return { mailbox, sizes: status === 'OK' && sizes.length === mailbox.exists ? sizes : null };
}

/**
 * How long the size FETCH written behind EXAMINE may stay silent (no line of its answer, no tagged
 * completion) once EXAMINE is answered: the server answers in order, so its first line follows
 * EXAMINE's completion at once, and a long answer (50,000 lines) keeps coming. A server that
 * dropped the command (RFC 3501 5.5 allows pipelining, none of Dovecot, Cyrus and Courier drops it)
 * would otherwise leave the plan waiting for the connection's timeout.
 */
const PIPELINED_SILENCE_MS = 5_000;

/** Connections where a pipelined command went unanswered: nothing more is pipelined on them. */
const dropsPipelined = new WeakSet<ImapFlow>();

/**
 * The pipelined command's status, or null once nothing of its answer was heard for `silenceMs`
 * (`heardAt()`: when its last line came): it is then given up (`giveUp`), and the caller asks as
 * it would have without pipelining.
 */
function answerWithin(p: Pipelined, heardAt: () => number, silenceMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<null>((resolve) => {
    const check = () => {
      const quietFor = performance.now() - heardAt();
      if (quietFor >= silenceMs) {
        p.giveUp();
        resolve(null);
      } else timer = setTimeout(check, silenceMs - quietFor);
    };
    timer = setTimeout(check, silenceMs);
  });
  return Promise.race([p.status, silent]).finally(() => clearTimeout(timer));
}

/**
 * The answer line servers give the size FETCH, read from its bytes: `* 12 FETCH (UID 12 RFC822.SIZE
 * 3456)` (Dovecot, Cyrus and Courier all answer so; the items the other way round are read too);
 * null for any other line, which imapflow then parses (`sizedMessage`). Through imapflow's parser each line cost ~12 µs warm and
 * several times that while its code was still cold, with the three lanes' ~1,000 lines of a first
 * run read one after another before their body FETCHes (session 11).
 */
function sizedLine(payload: Buffer): SizedMessage | null {
  if (payload.length > 96) return null;
  const m = SIZE_LINE.exec(payload.toString('latin1'));
  if (!m) return null;
  const uid = Number(m[1] ?? m[4]);
  const size = Number(m[2] ?? m[3]);
  return Number.isSafeInteger(uid) && uid > 0 && Number.isSafeInteger(size) ? { uid, size } : null;
}

const SIZE_LINE = /^\* \d+ FETCH \((?:UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+))\)$/i;

/** UID and RFC822.SIZE of an untagged FETCH line; null for any other line (unsolicited flag changes). */
function sizedMessage(u: Untagged): SizedMessage | null {
  const [kind, list] = u.attributes ?? [];
  if (stringValue(kind)?.toUpperCase() !== 'FETCH' || !Array.isArray(list)) return null;
  let uid = Number.NaN;
  let size = Number.NaN;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const key = stringValue(list[i])?.toUpperCase();
    if (key === 'UID') uid = Number(stringValue(list[i + 1]));
    else if (key === 'RFC822.SIZE') size = Number(stringValue(list[i + 1]));
  }
  return Number.isSafeInteger(uid) && uid > 0 && Number.isSafeInteger(size) && size >= 0 ? { uid, size } : null;
}
