import { FTPError, type FTPResponse } from 'basic-ftp';
import { parseStatListing, type ListingEntry } from './listing-parsers';
import { sizeMismatch, type FanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';

/**
 * What FTP replies mean, as pure functions: which replies may answer which command (a pipelined
 * connection checks every reply against the command it is matched to), what a `STAT <dir>` reply
 * says, and the wording real servers use for "no such file" and "server full".
 */

/** The commands the batch pipelines. */
export type PipelinedCommand = 'STAT' | 'EPSV' | 'REST' | 'RETR' | 'NOOP' | 'MDTM';

/**
 * Whether a final reply `code` can be the answer to `cmd`. A reply that cannot means the replies
 * are no longer matched to the commands (a server that dropped or merged commands, e.g. pure-ftpd
 * answering `500 Unknown command` to what it read during a transfer): the connection must stop
 * pipelining at once. `500` (syntax error, command unrecognised) never fits: every command here is
 * one the server recognises when it reads it whole.
 */
export function replyFits(cmd: PipelinedCommand, code: number, behindTransfer = false): boolean {
  // MDTM written to a server idle (no transfer at it): a 500 there is the server not knowing MDTM
  // (a refusal). Written behind a transfer (`behindTransfer`: a server shown to read commands in
  // order during one), a 500 is what a server that does not sends: it never fits.
  if (cmd === 'MDTM') return code === 213 || (code >= 400 && code <= 599 && !(behindTransfer && code === 500));
  if (code < 200 || code > 599 || code === 500) return false;
  const refused = code >= 400; // 4xx/5xx: a refusal is an answer to any of them
  switch (cmd) {
    case 'STAT':
      return code === 211 || code === 212 || code === 213 || refused;
    case 'EPSV':
      return code === 229 || refused;
    case 'REST':
      return code === 350 || refused;
    case 'RETR':
      return code === 226 || code === 250 || refused;
    case 'NOOP':
      return code === 200;
  }
}

/** The time of a `213` reply to MDTM as `mdtm:<YYYYMMDDhhmmss>` (fractions of a second dropped); null for anything else. */
export function mdtmTime(message: string): string | null {
  const time = /^213 (\d{14})/.exec(message)?.[1];
  return time ? `mdtm:${time}` : null;
}

/** A preliminary (1xx) reply: only a transfer (RETR) gets one. */
export function preliminaryFits(cmd: PipelinedCommand | undefined, code: number): boolean {
  return cmd === 'RETR' && code >= 100 && code < 200;
}

/**
 * Whether a transfer's preliminary reply can be about `remotePath`. vsftpd and ProFTPD name the file
 * and its size (`150 Opening BINARY mode data connection for /4/1/418/418-0.txt (310639 bytes).`):
 * a 150 naming another file means the replies are matched to the wrong books. Replies that name
 * none (pure-ftpd's `150 292.9 kbytes to download`) fit. The size is not compared: a batch's books
 * are distinct files, so the name tells the book, and another size than listed is that book's file
 * changed since its listing (the data's byte count fails the book, SIZE_MISMATCH): it once made a
 * server lock-step for the job and 30 days (tests/integration/mirror/ftp-file-changed.test.ts).
 */
export function preliminaryNames(message: string, remotePath: string): boolean {
  const named = /\bfor (\/\S+?)(?: \(\d+ bytes\))?\.?\s*$/m.exec(message)?.[1];
  return !named || named.split('/').pop() === remotePath.split('/').pop();
}

export type StatOutcome =
  | { kind: 'listing'; entries: ListingEntry[] }
  /** No such folder (a 450/550 saying so: proftpd's `450 …: No such file or directory`). */
  | { kind: 'missing' }
  /** STAT gives no listing here (211 server status, refused as unknown, or denied: vsftpd `cmds_denied=STAT` answers `550 Permission denied.`): list another way. */
  | { kind: 'unsupported' }
  /** Any other refusal: the book's error. */
  | { kind: 'refused' };

/** What the reply to `STAT <dir>` says about the folder. */
export function statOutcome(code: number, message: string): StatOutcome {
  // ProFTPD lists '.' and '..' in every folder's 212 (an empty one too; a missing one gets a 450);
  // denied (`<Limit STAT> DenyAll`) it answers a 212 with no lines at all: every book was BOOK_NOT_FOUND.
  if (code === 212 && message.split(/\r?\n/).filter((l) => l.trim() !== '').length <= 2) return { kind: 'unsupported' };
  if (code === 212 || code === 213) return { kind: 'listing', entries: parseStatListing(message) };
  if ((code === 550 || code === 450) && saysNoSuchFile(message)) return { kind: 'missing' };
  // A 550 that does not say "no such file" is STAT refused, not the folder missing (vsftpd and
  // pure-ftpd list a missing folder as empty, ProFTPD says so): every book was BOOK_NOT_FOUND.
  if (code === 211 || code === 501 || code === 502 || code === 504 || code === 550) return { kind: 'unsupported' };
  return { kind: 'refused' };
}

/** "No such file or directory" (ENOENT as servers word it): proftpd sends it with 450 as well as 550. */
export function saysNoSuchFile(message: string): boolean {
  return /no such (file|directory)|not found|does not exist|doesn't exist|can't check for file existence/i.test(message);
}

/**
 * A refusal that means "too many sessions" rather than "wrong login": vsftpd `421 There are too
 * many connected users` / `…too many connections from your internet address`, pure-ftpd `421 Too
 * many connections (N) from this IP` / `421 N users (the maximum) are already logged in`, proftpd
 * `530 Sorry, the maximum number of clients (N) from your host are already connected.` (also
 * `…allowed clients…`, `…for this user…`) and its `MaxInstances` `421`.
 */
export function saysServerFull(code: number, message: string): boolean {
  if (code !== 421 && code !== 530) return false;
  // pure-ftpd's `421 Too many authentication failures` is about the login, not the session count.
  if (/auth|password|login (incorrect|failed)/i.test(message)) return false;
  return /too many|maximum number|\(the maximum\)|already (connected|logged in)|max(imum)? (clients|connections|users)|try (again )?later|server (is )?full/i.test(message);
}

/**
 * What the replies to the pipelined login (`OPTS UTF8 ON`, `USER`, `PASS`, `TYPE I`, in order) say
 * so far: `wait` for more, `ok` (logged in, binary mode), or the refusal that ends it. USER's or
 * PASS's refusal ends it at once: a server may close right after it (proftpd's session limit), and
 * pure-ftpd sends the replies after a wrong password's 530 only seconds later. `OPTS UTF8 ON`
 * may be refused (pure-ftpd: 504): harmless.
 */
export function loginVerdict(replies: Array<FTPResponse | FTPError>): 'wait' | 'ok' | FTPError {
  const [, user, pass, type] = replies;
  if (!user) return 'wait';
  if (user instanceof FTPError) return user;
  // 331: the password is needed (and must be accepted); 230: logged in already (PASS is then refused or ignored).
  if (user.code === 331 && pass instanceof FTPError) return pass;
  if (!type) return 'wait';
  if (user.code !== 230 && user.code !== 331) return new FTPError({ code: 530, message: `530 Login not completed (${user.message})` });
  return type instanceof FTPError ? type : 'ok';
}

/**
 * What a transfer's preliminary replies (`150`, `125`) say of its size: vsftpd and ProFTPD
 * `… (200000 bytes)` (exact); pure-ftpd `195.3 kbytes to download` (`%.1f` of bytes / 1024, for
 * more than 4096 bytes: within 52 bytes), or nothing. Null when none says.
 */
export function announcedSize(messages: string[]): { bytes: number } | { kbytes: number } | null {
  for (const m of messages) {
    const exact = /\((\d+) bytes\)/.exec(m);
    if (exact) return { bytes: Number(exact[1]) };
    const k = /\b(\d+(?:\.\d+)?) kbytes to download\b/.exec(m);
    if (k) return { kbytes: Number(k[1]) };
  }
  return null;
}

/** Whether `received` bytes can be the size `announced` (see announcedSize; kbytes to their printed tenth). */
export function fitsAnnounced(received: number, announced: { bytes: number } | { kbytes: number }): boolean {
  if ('bytes' in announced) return received === announced.bytes;
  return Math.abs(received / 1024 - announced.kbytes) <= 0.05 + 1e-9;
}

/**
 * A transfer of unknown size whose count does not fit what its 150 announced (`messages`, its 1xx
 * replies): SIZE_MISMATCH (retryable, `detail.size` as any: kbytes taken as bytes × 1024), else null.
 */
export function announcedMismatch(received: number, messages: string[], context: ErrorContext): FanoutError | null {
  const announced = announcedSize(messages);
  if (!announced || fitsAnnounced(received, announced)) return null;
  const expected = 'bytes' in announced ? announced.bytes : Math.round(announced.kbytes * 1024);
  const said = 'bytes' in announced ? `${announced.bytes} bytes` : `${announced.kbytes} kbytes`;
  return sizeMismatch(received, expected, context, ` (no size known but the server's 150, which announced ${said})`);
}
