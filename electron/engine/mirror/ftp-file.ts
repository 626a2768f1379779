import type { Client } from 'basic-ftp';
import { FanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import { mapFtpError } from './ftp-errors';
import type { FetchedFile, FetchFileOptions } from './types';

/**
 * One file by path on a logged-in control connection (the session's: same login, TLS and
 * timeouts as the books): `SIZE` for the total (optional, RFC 3659), then `RETR` into `opts.dest`;
 * the byte count is checked against the size. Errors through mapFtpError (550 → FTP_NOT_FOUND).
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
  let received = 0;
  client.trackProgress((info) => {
    received = info.bytes;
    opts.onProgress?.(received, total);
  });
  try {
    await client.downloadTo(opts.dest, remotePath);
  } catch (raw) {
    throw mapFtpError(raw, 'transfer', context);
  } finally {
    client.trackProgress();
  }
  if (total !== null && received !== total) throw new FanoutError('SIZE_MISMATCH', `Received ${received} of ${total} bytes`, context);
  return { url, received, total };
}
