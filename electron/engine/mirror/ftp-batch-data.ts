import type net from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'basic-ftp';
import type { FanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import type { BatchBook } from './ftp-batch-book';
import type { BookSink } from './book-sink';
import { mapFtpError } from './ftp-errors';
import { connectPassive } from './ftp-pipeline';

/**
 * The data connections of a pipelined batch (ftp-batch.ts): one opened on each `229`, the book's
 * bytes piped into its sink under the stall rule, or one opened only to be closed (a wasted guess).
 */

export interface DataTimeouts {
  host: string;
  /** Connecting to the passive port. */
  timeoutMs: number;
  /** Nothing received for this long: the connection is cut (retryable TIMEOUT). */
  stallMs: number;
}

/**
 * A data connection we could not open (no socket: EMFILE at the open-files limit; refused; no
 * connect in `timeoutMs`), with the error the book fails with. The server answered the EPSV and, its
 * RETR received, waits for this connection (vsftpd up to its accept_timeout, 60 s; pure-ftpd and
 * ProFTPD longer) answering nothing meanwhile: the caller must not wait for the RETR's reply.
 */
export interface Unopened {
  unopened: FanoutError;
}

/**
 * Connects to a passive port and reads what the server sends there to its end, dropping it (a
 * wasted guess whose file exists). Cutting it instead would leave the RETR without a final reply on
 * pure-ftpd (none after a transfer it could not finish). Resolves `whole` once the server ended it,
 * `cut` when it failed once open (an error, or nothing for `stallMs`: then cut), or Unopened.
 */
export async function drainPassive(client: Client, port: number, t: DataTimeouts, context: ErrorContext): Promise<'whole' | 'cut' | Unopened> {
  let sock: net.Socket;
  try {
    sock = await connectPassive(client, port, t.timeoutMs);
  } catch (e) {
    return { unopened: mapFtpError(e, 'transfer', context) };
  }
  return new Promise<'whole' | 'cut'>((resolve) => {
    sock.setTimeout(t.stallMs, () => sock.destroy());
    sock.once('end', () => resolve('whole'));
    sock.once('close', () => resolve('cut')); // (after 'end' when ended cleanly: the first settles)
    sock.on('error', () => {});
    sock.resume();
  });
}

/**
 * Opens the book's data connection on `port` and pipes it into the book's sink (`receiving`, then
 * `received` once it ended). Resolves `skipped` when the book is no longer wanted once connected
 * (a refused REST, `wanted()` false, no sink: the connection is closed at once), `received` when
 * the connection ended cleanly (the caller checks the byte count), Unopened when it could not be
 * opened, else the error the book fails with once it was open.
 * The server waits for this connection before running the RETR: it is always opened.
 */
export async function receiveBookData(client: Client, book: BatchBook, port: number, t: DataTimeouts, wanted: () => boolean): Promise<'skipped' | 'received' | FanoutError | Unopened> {
  let sock: net.Socket;
  try {
    sock = await connectPassive(client, port, t.timeoutMs);
  } catch (e) {
    return { unopened: mapFtpError(e, 'transfer', book.context) };
  }
  sock.on('error', () => {}); // surfaces through the pipeline
  const restOk = book.restOk ? await book.restOk : true;
  if (!restOk || !wanted() || !book.sink) {
    sock.destroy();
    return 'skipped';
  }
  book.data = sock;
  book.phase = 'receiving';
  // A stall: nothing arrived for this long (the server or a middlebox stopped sending): cut, retried.
  let stalled: Error | null = null;
  const onIdle = () => {
    // Paused by us (the job's bandwidth cap, a slow disk): not the server's stall; look again later.
    if (sock.isPaused()) return void sock.setTimeout(t.stallMs, onIdle);
    stalled = Object.assign(new Error(`The data connection to ${t.host} stalled: nothing received for ${t.stallMs} ms`), { code: 'ETIMEDOUT' });
    sock.destroy(stalled);
  };
  sock.setTimeout(t.stallMs, onIdle);
  try {
    await pipeline(sock, book.sink.input);
  } catch (e) {
    return mapFtpError(stalled ?? e, 'transfer', book.context);
  }
  book.phase = 'received';
  return 'received';
}

/**
 * A kept guess's data connection (a symlinked `N-0.txt`, size unknown: see FtpBatch.keepGuess) piped
 * into its begun sink under the stall rule: `whole` once the server ended it (not known complete:
 * the one-book path checks the byte count against SIZE), `cut` when it failed once open, or
 * Unopened. `onOpen` gets the socket (to cut it when the batch gives the book up).
 */
export async function receiveKeptGuess(client: Client, sink: BookSink, port: number, t: DataTimeouts, context: ErrorContext, onOpen: (sock: net.Socket) => void): Promise<'whole' | 'cut' | Unopened> {
  let sock: net.Socket;
  try {
    sock = await connectPassive(client, port, t.timeoutMs);
  } catch (e) {
    return { unopened: mapFtpError(e, 'transfer', context) };
  }
  sock.on('error', () => {}); // surfaces through the pipeline
  onOpen(sock);
  const onIdle = () => {
    if (sock.isPaused()) return void sock.setTimeout(t.stallMs, onIdle);
    sock.destroy(new Error(`The data connection to ${t.host} stalled: nothing received for ${t.stallMs} ms`));
  };
  sock.setTimeout(t.stallMs, onIdle);
  try {
    await pipeline(sock, sink.input);
    return 'whole';
  } catch {
    return 'cut';
  }
}
