import type { ImapFlow, ListResponse } from 'imapflow';
import type { MailAccount } from '../../../shared/job-spec';
import type { SerializedError } from '../../../shared/errors';
import { accountWhere, closeClient, openClient, type ConnectOptions } from './connect';
import { assignFolderDirs } from './folder-names';
import { mapImapError } from './imap-errors';
import { comparePaths } from './path-order';

/** One folder as listed: what the UI's folder tree and `fanout mail --list-folders` show. */
export interface MailFolderInfo {
  /** Full path, decoded to Unicode (modified UTF-7 on the wire). */
  path: string;
  /** Last hierarchy level. */
  name: string;
  delimiter: string;
  /** Parent path, or null at the top level. */
  parent: string | null;
  /** `\Sent`, `\Drafts`, `\Trash`, `\Junk`, `\Archive`, `\All`, `\Flagged`, `\Inbox`, or null. */
  specialUse: string | null;
  flags: string[];
  /** False for `\Noselect` / `\NonExistent` containers (listed for the tree, never archived). */
  selectable: boolean;
  /** Message count, or null when the server did not say (STATUS not answered). */
  messages: number | null;
  unseen: number | null;
  uidNext: number | null;
  /** UIDVALIDITY as a decimal string, or null. */
  uidValidity: string | null;
  /** HIGHESTMODSEQ as a decimal string, or null without CONDSTORE. */
  highestModseq: string | null;
  /** Where its archive goes, relative to `<out>/<account>/`, "/"-separated (safe, unique). */
  dir: string;
}

export function isSelectable(flags: Iterable<string>): boolean {
  for (const f of flags) if (/^\\(noselect|nonexistent)$/i.test(f)) return false;
  return true;
}

function toInfo(l: ListResponse, dirs: Record<string, string>): MailFolderInfo {
  const st = l.status;
  const flags = [...l.flags];
  return {
    path: l.path,
    name: l.name,
    delimiter: l.delimiter ?? '',
    parent: l.parentPath ? l.parentPath : null,
    specialUse: l.specialUse ?? null,
    flags,
    selectable: isSelectable(flags),
    messages: st?.messages ?? null,
    unseen: st?.unseen ?? null,
    uidNext: st?.uidNext ?? null,
    uidValidity: st?.uidValidity !== undefined ? String(st.uidValidity) : null,
    highestModseq: st?.highestModseq !== undefined ? String(st.highestModseq) : null,
    dir: dirs[l.path] ?? '',
  };
}

/**
 * Lists folders with special-use flags and counts on an open connection. imapflow sends
 * `LIST ... RETURN (STATUS (...))` (one round trip) when the server has LIST-STATUS, else a STATUS
 * per folder. `existingDirs` keeps directory names chosen by earlier runs.
 */
export async function listFoldersOn(client: ImapFlow, existingDirs: Record<string, string> = {}): Promise<MailFolderInfo[]> {
  const condstore = client.capabilities.has('CONDSTORE') || client.capabilities.has('QRESYNC');
  const list = await client.list({
    statusQuery: { messages: true, unseen: true, uidNext: true, uidValidity: true, ...(condstore ? { highestModseq: true } : {}) },
  });
  const dirs = assignFolderDirs(
    list.map((l) => ({ path: l.path, delimiter: l.delimiter ?? '' })),
    existingDirs,
  );
  return list.map((l) => toInfo(l, dirs)).sort(inListOrder);
}

/**
 * The order folders are listed (and a job's folders reported) in: INBOX first, then by path as
 * `localeCompare` orders them (path-order.ts: without ICU's collator where its answer is known).
 */
export function inListOrder(a: Pick<MailFolderInfo, 'path'>, b: Pick<MailFolderInfo, 'path'>): number {
  return a.path === 'INBOX' ? -1 : b.path === 'INBOX' ? 1 : comparePaths(a.path, b.path);
}

/** Connects, lists the folders (with counts), logs out. Errors are FanoutErrors with clear messages. */
export async function listMailFolders(account: MailAccount, opts: ConnectOptions = {}): Promise<MailFolderInfo[]> {
  const client = await openClient(account, opts);
  try {
    return await listFoldersOn(client);
  } catch (err) {
    throw mapImapError(err, accountWhere(account));
  } finally {
    await closeClient(client);
  }
}

export interface MailAccountTestResult {
  ok: boolean;
  /** "host:port" tried. */
  server: string;
  /** Set when `ok`: folders that can be archived, and the messages in them. */
  folders?: number;
  messages?: number;
  /** Warnings worth showing (cleartext connection, untrusted certificate accepted). */
  warnings: string[];
  error?: SerializedError;
}

/** For the UI's Test button: connect, log in, list; never throws. */
export async function testMailAccount(account: MailAccount, opts: ConnectOptions = {}): Promise<MailAccountTestResult> {
  const server = accountWhere(account);
  const warnings = mailAccountWarnings(account);
  try {
    const folders = await listMailFolders(account, { timeoutMs: 20_000, ...opts });
    const selectable = folders.filter((f) => f.selectable);
    return { ok: true, server, folders: selectable.length, messages: selectable.reduce((s, f) => s + (f.messages ?? 0), 0), warnings };
  } catch (err) {
    return { ok: false, server, warnings, error: mapImapError(err, server).toJSON() };
  }
}

/** Human warnings for risky account settings (shown by the CLI and the UI). */
export function mailAccountWarnings(account: MailAccount): string[] {
  const out: string[] = [];
  if (account.tls === 'none') out.push(`Cleartext IMAP: the password and all mail cross the network unencrypted to ${accountWhere(account)}.`);
  if (account.allowUntrustedCert && account.tls !== 'none') out.push(`Certificate checks are off for ${accountWhere(account)}: any server can pretend to be it.`);
  return out;
}
