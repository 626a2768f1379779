import type { ImapFlow } from 'imapflow';
import type { Socket } from 'node:net';
import { decodeMailboxName, listEntry, statusEntry, taggedAnswer, tokenize } from './quick-list-parse';
import { LIST_COMMAND, type QuickFolder } from './quick-list';

/**
 * The planning connection's folder listing written in the same write as its LOGIN, so that the
 * server answers both in one round trip: imapflow sends one command at a time, so its LIST went
 * out only once LOGIN (and NAMESPACE) were answered, one round trip more before a job's first
 * EXAMINE (a first run: LOGIN, LIST, EXAMINE with the sizes, the body FETCH; docs/BENCHMARKS.md).
 * RFC 3501 5.5 lets a client pipeline commands; answers come in order.
 *
 * The command is the quick listing's (`LIST "" "*" RETURN (STATUS (…))`, quick-list.ts), under a
 * tag imapflow never uses, appended to the write that holds a complete LOGIN line (imapflow-rounds.ts
 * puts ID in front of it and NAMESPACE behind it: the LIST goes after those). Its answer is read
 * from the connection's bytes as they arrive (beside imapflow's own reading, which ignores untagged
 * LIST and STATUS lines no command asked for and tolerates the unknown tag), line by line, literals
 * skipped, up to its tagged answer; imapflow's parser is never involved.
 *
 * It is used (`takeListedBehindLogin`) only where the LOGIN answer says the server keeps what follows
 * LOGIN (LIST-STATUS and CONDSTORE, or IMAP4rev2, in the capabilities after login: Courier announces
 * neither and drops commands sent behind LOGIN), the answer was OK, readable (no literal), with no
 * folder listed twice and STATUS for every selectable folder; otherwise the caller lists through
 * imapflow as before. Not on an AUTHENTICATE login (OAuth2, LOGINDISABLED), nor when LOGIN's write
 * is split by a literal: nothing is appended then.
 */

/** A `* LIST` line as read: the folder's name as on the wire, its delimiter and flags. */
interface RawEntry {
  raw: string;
  delimiter: string;
  flags: string[];
}

/** What was listed behind LOGIN (names as on the wire, STATUS by name), or why not usable. */
type Listed = { ok: true; entries: RawEntry[]; statuses: Map<string, Map<string, string>> } | { ok: false; reason: string };

interface Pending {
  /** Settles with the listing once its tagged answer has been read, or unusable when the connection closed first. */
  result: Promise<Listed>;
  /** Whether the LIST was written at all. */
  written: () => boolean;
  /** Stops reading (the answer, if it still comes, is left to imapflow, which ignores it). */
  stop: () => void;
  /** When the last byte of its answer (or of anything before it) was read, performance.now(). */
  heardAt: () => number;
  /** No LIST is appended to a later write. */
  disarm: () => void;
}

const pending = new WeakMap<ImapFlow, Pending>();

/** The tag of the LIST written behind LOGIN: imapflow's own are hexadecimal numbers, imapflow-rounds.ts's F0 and Z<n>. */
const TAG = 'L1';

/** How long the listing may stay silent once the connection is logged in (see imapflow-rounds.ts PIPELINED_SILENCE_MS). */
const SILENCE_MS = 5_000;

interface Internals {
  write(chunk: string | Buffer): unknown;
  commandParts: unknown[];
  socket: Socket | null;
}

/** Set on a new client, before `connect()`: its LOGIN's write carries the folder listing too. */
export function listBehindLogin(client: ImapFlow): void {
  const c = client as unknown as Internals;
  const write = c.write.bind(client);
  let armed = true;
  let written = false;
  let stopReading: () => void = () => undefined;
  let heard = performance.now();
  let settle!: (l: Listed) => void;
  const result = new Promise<Listed>((resolve) => (settle = resolve));
  // Installed before imapflow-rounds.ts wraps `write` for the ID and NAMESPACE it puts around LOGIN:
  // its wrapper calls this one with the whole text, so the LIST goes last.
  c.write = (chunk) => {
    if (!armed) return write(chunk);
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    if (!/(?:^|\r\n)\S+ LOGIN /i.test(text)) return write(chunk);
    armed = false;
    // A LOGIN with a literal still to come, or no socket to read: nothing appended.
    const socket = c.socket;
    if (c.commandParts.length > 0 || !socket) {
      settle({ ok: false, reason: 'LOGIN not written whole' });
      return write(chunk);
    }
    written = true;
    stopReading = readAnswer(socket, settle, () => (heard = performance.now()));
    // imapflow adds the CRLF that ends the write.
    const line = `\r\n${TAG} ${LIST_COMMAND}`;
    return write(typeof chunk === 'string' ? chunk + line : Buffer.concat([chunk, Buffer.from(line, 'latin1')]));
  };
  client.once('close', () => settle({ ok: false, reason: 'closed' }));
  pending.set(client, { result, written: () => written, stop: () => stopReading(), heardAt: () => heard, disarm: () => (armed = false) });
}

/**
 * The folders listed behind this client's LOGIN (`listBehindLogin`), as quick-list.ts reports them,
 * or null: none was written, the server is not one that keeps commands sent behind LOGIN (its
 * capabilities after login), or the answer was not usable (see the top of this file). Waits for the
 * answer (it follows LOGIN's and NAMESPACE's, which `connect()` waited for) for as long as it keeps
 * coming, or until it has been silent for 5 s (a server that dropped it).
 */
export async function takeListedBehindLogin(client: ImapFlow): Promise<QuickFolder[] | null> {
  const p = pending.get(client);
  pending.delete(client);
  if (!p) return null;
  p.disarm();
  const caps = client.capabilities;
  if (!p.written() || !(caps.has('IMAP4rev2') || (caps.has('LIST-STATUS') && caps.has('CONDSTORE')))) {
    p.stop();
    return null;
  }
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<Listed>((resolve) => {
    const check = () => {
      const quietFor = performance.now() - p.heardAt();
      if (quietFor >= SILENCE_MS) resolve({ ok: false, reason: 'no answer' });
      else timer = setTimeout(check, SILENCE_MS - quietFor);
    };
    timer = setTimeout(check, SILENCE_MS);
  });
  const listed = await Promise.race([p.result, silent]).finally(() => clearTimeout(timer));
  p.stop();
  return listed.ok ? foldersOf(listed.entries, listed.statuses, (client as unknown as { namespace: { prefix?: string } | null }).namespace?.prefix ?? '') : null;
}

/**
 * The folders with their paths as imapflow's LIST makes them (commands/list.js: the name decoded,
 * INBOX in upper case, the personal namespace's prefix put in front of a name without it, then a
 * leading delimiter dropped) and the STATUS given for each (imapflow keys STATUS by the name before
 * that last step; null where none came); null when a path comes twice.
 */
function foldersOf(entries: RawEntry[], statuses: Map<string, Map<string, string>>, prefix: string): QuickFolder[] | null {
  const normalized = (raw: string) => {
    const path = decodeMailboxName(raw);
    if (path.toUpperCase() === 'INBOX') return 'INBOX';
    return prefix && !path.startsWith(prefix) ? prefix + path : path;
  };
  const status = new Map([...statuses].map(([raw, items]) => [normalized(raw), items]));
  const folders = new Map<string, QuickFolder>();
  for (const e of entries) {
    const key = normalized(e.raw);
    const path = e.delimiter && key.startsWith(e.delimiter) ? key.slice(e.delimiter.length) : key;
    const items = status.get(key) ?? null;
    if (folders.has(path)) return null;
    folders.set(path, { path, delimiter: e.delimiter, flags: e.flags, status: items });
  }
  return [...folders.values()];
}

/**
 * Reads the connection's lines (everything after LOGIN's write: ID's, LOGIN's and NAMESPACE's
 * answers, then the listing's) up to the listing's tagged answer; literals are skipped by their
 * length (a line that holds one makes the listing unusable, but the reading stays in step). Returns
 * what stops it.
 */
function readAnswer(socket: Socket, settle: (l: Listed) => void, onBytes: () => void): () => void {
  let buffered: Buffer = Buffer.alloc(0);
  /** Bytes of a literal still to skip. */
  let skip = 0;
  /** The line being read, when a literal interrupted it. */
  let partial = '';
  let unusable: string | null = null;
  const entries: RawEntry[] = [];
  const statuses = new Map<string, Map<string, string>>();
  let done = false;
  const stop = () => {
    if (done) return;
    done = true;
    socket.off('data', onData);
  };
  const finish = (l: Listed) => {
    stop();
    settle(l);
  };
  const onLine = (line: string) => {
    const tagged = taggedAnswer(line);
    if (tagged?.tag === TAG) {
      if (tagged.status !== 'OK') return finish({ ok: false, reason: `LIST ${tagged.status}` });
      if (unusable) return finish({ ok: false, reason: unusable });
      return finish({ ok: true, entries, statuses });
    }
    if (unusable) return;
    const m = /^\* (LIST|STATUS) (.*)$/i.exec(line);
    if (!m) return;
    const tokens = tokenize(m[2]!);
    if (!tokens) return void (unusable = `unreadable ${m[1]}`);
    if (m[1]!.toUpperCase() === 'LIST') {
      const entry = listEntry(tokens);
      if (!entry) return void (unusable = 'unreadable LIST');
      entries.push(entry);
    } else {
      const entry = statusEntry(tokens);
      if (!entry) return void (unusable = 'unreadable STATUS');
      statuses.set(entry.raw, entry.items);
    }
  };
  const onData = (chunk: Buffer) => {
    onBytes();
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (!done) {
      if (skip > 0) {
        const n = Math.min(skip, buffered.length);
        skip -= n;
        buffered = buffered.subarray(n);
        if (skip > 0) return;
      }
      const end = buffered.indexOf('\r\n');
      if (end < 0) return;
      const text = partial + buffered.toString('latin1', 0, end);
      buffered = buffered.subarray(end + 2);
      const literal = /\{(\d+)\+?\}$/.exec(text);
      if (literal) {
        unusable ??= 'a literal in an answer';
        skip = Number(literal[1]);
        partial = `${text.slice(0, literal.index)}""`;
        continue;
      }
      partial = '';
      onLine(text);
    }
  };
  socket.on('data', onData);
  return stop;
}
