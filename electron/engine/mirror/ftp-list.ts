import { Writable } from 'node:stream';
import { FTPError, type Client, type FileInfo, type FTPResponse } from 'basic-ftp';
import { downloadTo } from 'basic-ftp/dist/transfer.js';
import { ProgressTracker } from 'basic-ftp/dist/ProgressTracker.js';
import { FanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import { listingShort } from './listing-parsers';

/**
 * A folder's listing over a data connection (LIST, or MLSD where basic-ftp's `access()` found it),
 * taken only whole. basic-ftp's own `list()` takes whatever the data connection brought once a
 * `226` came, and keeps no reply text: pure-ftpd answers `226` after a listing whose data
 * connection was cut (ls.c: its writes ignore errors), so a cut listing was read as the folder's
 * whole content and a book missing from it was BOOK_NOT_FOUND (permanent).
 *
 * How a listing is known whole (`listingShort`, listing-parsers.ts): the data ended AND a 2xx final
 * reply came (a `426`, vsftpd's and ProFTPD's answer to a listing they could not finish, is an
 * error); its text ends with a line end (a cut mid-line shows); and where the reply counts the
 * entries (pure-ftpd: `226 N matches total`, for LIST, NLST and MLSD alike) the lines received are
 * that many. vsftpd (`226 Directory send OK.`) and ProFTPD (`226 Transfer complete`) give no count:
 * a listing they wrote whole that a middlebox then cut at a line end cannot be told short from
 * their replies (the session lists once more before it calls a book missing: see
 * FtpSession.fetchListed). A listing that is not whole is a retryable CONNECTION_RESET naming the
 * folder; pure-ftpd's `226 Output truncated to N matches` (its `-L` limit) an FTP_PERMANENT.
 */

/** A listing's text and the final reply that ended its transfer. */
export interface ListingText {
  text: string;
  reply: FTPResponse;
  /** The command that gave it (`LIST -a`, `LIST`, `MLSD`). */
  command: string;
}

/** Listings larger than this are refused (basic-ftp's own cap is 40 MiB; a book folder's is under 10 kB). */
const MAX_LISTING_BYTES = 16 * 1024 * 1024;

class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > MAX_LISTING_BYTES) return done(new Error(`Listing over ${MAX_LISTING_BYTES} bytes`));
    this.chunks.push(chunk);
    done();
  }
  text(encoding: BufferEncoding): string {
    return Buffer.concat(this.chunks).toString(encoding);
  }
}

/**
 * Runs the first of `commands` the server takes (basic-ftp's order: `LIST -a`, `LIST`; `MLSD` first
 * where FEAT offered it) on `remoteDir` over a data connection, as basic-ftp's `list()` does
 * (`downloadTo`: resolved once the data ended and the final reply came), keeping the reply. A 5xx
 * (the command not understood) tries the next one; anything else is thrown.
 */
export async function receiveListing(client: Client, remoteDir: string, commands: string[] = client.availableListCommands): Promise<ListingText> {
  let lastError: unknown = new Error('No listing command to try');
  for (const candidate of commands) {
    const command = remoteDir === '' ? candidate : `${candidate} ${remoteDir}`;
    await client.prepareTransfer(client.ftp);
    const collector = new Collector();
    try {
      const reply = await downloadTo(collector, { ftp: client.ftp, tracker: new ProgressTracker(), command, remotePath: '', type: 'list' });
      client.availableListCommands = [candidate];
      return { text: collector.text((client.ftp.encoding ?? 'utf8') as BufferEncoding), reply, command: candidate };
    } catch (e) {
      if (!(e instanceof FTPError) || e.code < 500) throw e;
      lastError = e;
    }
  }
  throw lastError;
}

/**
 * `remoteDir`'s entries (see receiveListing), or an error when the listing is not known whole (see
 * the module comment). `counted`: the reply counted the entries and the count matched (pure-ftpd);
 * false where nothing but the line end tells a cut (vsftpd, ProFTPD).
 */
export async function listWhole(client: Client, remoteDir: string, host: string, context: ErrorContext): Promise<{ entries: FileInfo[]; counted: boolean }> {
  const got = await receiveListing(client, remoteDir);
  const verdict = listingShort(got.text, got.reply.message);
  const where = `The listing of ${remoteDir || 'the login folder'} from ${host} (${got.command})`;
  if (verdict.kind === 'truncated') throw new FanoutError('FTP_PERMANENT', `${where} holds only the first ${verdict.entries} entries (the server's limit): a file missing from it cannot be told missing`, context);
  if (verdict.kind === 'short') throw new FanoutError('CONNECTION_RESET', `${where} was cut short: ${verdict.why}`, context);
  return { entries: client.parseList(got.text), counted: verdict.kind === 'counted' };
}
