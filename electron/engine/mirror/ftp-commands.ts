import { FTPError, type Client, type FTPResponse } from 'basic-ftp';
import { FanoutError } from '../core/fanout-error';
import { epsvPort, sendAll, sendPipelined } from './ftp-pipeline';
import { loginVerdict, mdtmTime, statOutcome } from './ftp-replies';
import type { ListingEntry } from './listing-parsers';
import { listWhole } from './ftp-list';
import type { ErrorContext } from '../../../shared/errors';

/**
 * Small FTP exchanges on a basic-ftp Client that the session makes outside the pipelined batch:
 * the one-round-trip login, a folder's listing, and `SIZE` / `MDTM` for a file the listing gives
 * no size or date for.
 */

export interface Listing {
  entries: ListingEntry[];
  /** The `229` reply of an EPSV sent with the STAT, when pipelined. */
  epsv: FTPResponse | null;
  /**
   * A listing over a data connection whose final reply counted nothing (vsftpd, ProFTPD): a cut at a
   * line end of a listing the server wrote whole cannot be told from it (see ftp-list.ts).
   */
  uncounted?: boolean;
}

/**
 * A book folder's listing. `STAT <dir>` and `EPSV` go out back to back (when `caps.pipelineEpsv`)
 * and both replies come back in one round trip, so the passive port for the RETR that follows is
 * already known (STAT + EPSV + RETR cost 2 round trips plus the data connect, instead of 3).
 * Servers handle commands in order (RFC 959). Updates `caps`: a server that rejects EPSV turns
 * `pipelineEpsv` off, one whose STAT gives no listing turns `statWorks` off (LIST is used instead).
 * Over FTPS too: the commands go through the TLS control connection. LIST (or MLSD) is taken only
 * whole (ftp-list.ts): a cut one is a retryable CONNECTION_RESET naming the folder (`context`).
 */
export async function listFolder(client: Client, remoteDir: string, caps: { statWorks: boolean; pipelineEpsv: boolean }, host: string, context: ErrorContext): Promise<Listing> {
  if (caps.statWorks) {
    let stat: FTPResponse | FTPError;
    let epsv: FTPResponse | null = null;
    if (caps.pipelineEpsv) {
      const [a, b] = await sendPipelined(client, `STAT ${remoteDir}`, 'EPSV');
      stat = a;
      if (b instanceof FTPError || epsvPort(b.message) === null) caps.pipelineEpsv = false;
      else epsv = b;
    } else {
      stat = await client.send(`STAT ${remoteDir}`).catch((e: unknown) => {
        if (e instanceof FTPError) return e;
        throw e;
      });
    }
    const outcome = statOutcome(stat.code, stat.message);
    if (outcome.kind === 'listing') return { entries: outcome.entries, epsv };
    if (outcome.kind === 'missing') return { entries: [], epsv: null };
    if (outcome.kind === 'refused' && !(stat instanceof FTPError && stat.code === 500)) throw stat;
    caps.statWorks = false; // 211 (server status, path ignored) or STAT unsupported
  }
  try {
    // Over a data connection: taken only whole (see ftp-list.ts), else a retryable error.
    const list = await listWhole(client, remoteDir, host, context);
    const entries = list.entries.map((f) => ({ name: f.name, size: f.isDirectory || f.isSymbolicLink ? null : f.size, isDir: f.isDirectory, ...(f.rawModifiedAt ? { modified: f.rawModifiedAt.replace(/\s+/g, ' ') } : {}) }));
    return { entries, epsv: null, uncounted: !list.counted };
  } catch (e) {
    if (e instanceof FTPError && statOutcome(e.code, e.message).kind === 'missing') return { entries: [], epsv: null };
    throw e;
  }
}

/**
 * Logs in and sets binary mode in one round trip: `OPTS UTF8 ON`, `USER`, `PASS`, `TYPE I` in one
 * write (RFC 959: the server answers in order), where basic-ftp's `access()` spends one round trip
 * per command and adds FEAT, STRU F and OPTS UTF8 again (7 to 8 round trips; FEAT only picks MLSD
 * for `list()`, which is used only where STAT gives no listing and works with LIST). Plain FTP only:
 * FTPS goes through `access()` (AUTH TLS, the handshake, PBSZ/PROT). Throws the first refusal
 * (a 530 is AUTH_FAILED, a 421 TOO_MANY_CONNECTIONS, through mapFtpError). A fresh session's first
 * batch writes the same login ahead of its own commands instead (ftp-batch-login.ts).
 */
export async function pipelinedLogin(client: Client, user: string, password: string): Promise<void> {
  const commands = loginCommands(user, password);
  const seen: Array<FTPResponse | FTPError> = [];
  const replies = await sendAll(client, commands, (reply) => (seen.push(reply), loginVerdict(seen) !== 'wait'));
  const verdict = loginVerdict(replies);
  if (verdict !== 'ok') throw verdict === 'wait' ? new FTPError({ code: 530, message: '530 Login not completed' }) : verdict;
}

/** The login's commands, in the order they are written (see loginVerdict for their replies). */
export function loginCommands(user: string, password: string): string[] {
  if (/[\r\n\0]/.test(user + password)) throw new FanoutError('BAD_INPUT', 'The FTP user or password contains control characters', {});
  return ['OPTS UTF8 ON', `USER ${user}`, `PASS ${password}`, 'TYPE I'];
}

/** `MDTM` of a remote file as `mdtm:<YYYYMMDDhhmmss>` (one round trip: before resuming a part, for a part of 2 MiB or more starting, or when the listing has no date); null if refused (500/502/550…). */
export async function remoteModified(client: Client, remotePath: string): Promise<string | null> {
  try {
    const res = await client.send(`MDTM ${remotePath}`);
    return mdtmTime(res.message);
  } catch (e) {
    if (e instanceof FTPError) return null;
    throw e;
  }
}

/** `SIZE` of a remote file (one round trip; asked only when the listing has no size); null if refused. */
export async function remoteSize(client: Client, remotePath: string): Promise<number | null> {
  try {
    return await client.size(remotePath);
  } catch (e) {
    if (e instanceof FTPError) return null;
    throw e;
  }
}
