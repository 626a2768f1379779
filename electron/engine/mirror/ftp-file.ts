import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'basic-ftp';
import { FanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import { mapFtpError } from './ftp-errors';
import { dataEnded, raceDataEnd, sizeMismatch } from './ftp-data-end';
import { recordTransferReplies } from './ftp-pipeline';
import { announcedMismatch } from './ftp-replies';
import type { FetchedFile, FetchFileOptions } from './types';

/**
 * One file by path on a logged-in control connection (the session's: same login, TLS and
 * timeouts as the books): `SIZE` for the total (optional, RFC 3659), then `RETR` into `opts.dest`;
 * the byte count is checked against the size. Errors through mapFtpError (550 → FTP_NOT_FOUND).
 * A data connection that ends short of the size fails at once (SIZE_MISMATCH) and closes the
 * control connection: the final reply is not waited for (pure-ftpd sends none after a transfer it
 * could not finish, and the wait lasted the whole timeout).
 */
export async function fetchFtpFile(client: Client, remotePath: string, url: string, opts: FetchFileOptions, context: ErrorContext): Promise<FetchedFile> {
  let total: number | null = null;
  try {
    total = await client.size(remotePath);
  } catch (raw) {
    const e = mapFtpError(raw, 'transfer', context);
    if (e.code === 'FTP_NOT_FOUND' || client.closed) throw e;
    // SIZE not offered: go on without a total.
  }
  // The bytes are counted as they arrive from the data connection; its end is the counter's `finish`.
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      opts.onProgress?.(received, total);
      done(null, chunk);
    },
  });
  const written = pipeline(counter, createWriteStream(opts.dest));
  written.catch(() => {}); // surfaces through the transfer (basic-ftp listens for the destination's error)
  const ended = dataEnded(counter);
  // No SIZE: what the 150 says of the size is the only check of the count (a 226 is no proof: see ftp-retr.ts).
  const replies = total === null ? recordTransferReplies(client) : null;
  const transfer = client.downloadTo(counter, remotePath).finally(() => replies?.stop());
  transfer.catch(() => {});
  try {
    // Ended short before the final reply: failed at once, the control connection closed (see raceDataEnd).
    const end = await raceDataEnd(client, transfer, ended, () => received, total, context);
    if (end instanceof FanoutError) {
      await written.catch(() => {});
      throw end;
    }
    await transfer;
    await written;
  } catch (raw) {
    counter.destroy();
    await written.catch(() => {});
    throw mapFtpError(raw, 'transfer', context);
  }
  if (total !== null && received !== total) throw sizeMismatch(received, total, context);
  const short = replies ? announcedMismatch(received, replies.messages, context) : null;
  if (short) throw short;
  return { url, received, total };
}
