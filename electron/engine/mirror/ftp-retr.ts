import type { Client, FTPResponse } from 'basic-ftp';
import { FanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import type { BookSink } from './book-sink';
import { openPassive, recordTransferReplies } from './ftp-pipeline';
import { announcedMismatch } from './ftp-replies';
import { dataEnded, raceDataEnd, sizeMismatch } from './ftp-data-end';

export interface RetrRequest {
  remotePath: string;
  /** REST offset (the kept `.part`'s length), 0 for a fresh transfer. */
  startAt: number;
  /** The remote file's size, when known: the transfer ends when that many bytes arrived. */
  size: number | null;
  /** The `229` of an EPSV already sent (with the listing), or null to let basic-ftp send its own. */
  epsv: FTPResponse | null;
  host: string;
  timeoutMs: number;
  /** No bytes on the data connection for this long fails the transfer (TIMEOUT). */
  stallMs: number;
  context: ErrorContext;
}

/**
 * RETR (with REST when resuming) into the sink, one step at a time (the session's path outside a
 * batch). Resolves as soon as the data connection delivered the expected bytes and closed, with
 * the `226` still to come as the returned promise (the session collects it before its next
 * command); resolves to null when the transfer ended with its reply. A data connection that ends
 * short of the known size fails at once (SIZE_MISMATCH) and closes the control connection: the
 * final reply is not waited for (pure-ftpd sends none after a cut transfer).
 */
export async function retrIntoSink(client: Client, sink: BookSink, r: RetrRequest): Promise<Promise<void> | null> {
  const { epsv } = r;
  if (epsv) {
    // The passive port came with the listing: connect now and let basic-ftp skip its own EPSV.
    await openPassive(client, epsv, r.timeoutMs);
    const original = client.prepareTransfer;
    client.prepareTransfer = async () => {
      client.prepareTransfer = original;
      return epsv;
    };
  }
  // basic-ftp watches a transfer's data connection with `ftp.timeout` (no bytes for that long: it
  // fails the transfer): during the transfer that is the stall timeout.
  // (`timeout` is read-only in basic-ftp's types, a plain field at runtime: see README, basic-ftp internals.)
  const ftp = client.ftp as { timeout: number };
  ftp.timeout = r.stallMs;
  // A size not known: what the 150 says of it is the only check of the count (a 226 is no proof).
  const replies = r.size === null ? recordTransferReplies(client) : null;
  const transfer = client.downloadTo(sink.input, r.remotePath, r.startAt).finally(() => {
    ftp.timeout = r.timeoutMs;
    replies?.stop();
  });
  transfer.catch(() => {});
  const need = r.size === null ? null : r.size - r.startAt;
  const dataDone = dataEnded(sink.input);
  let dataEndedWell = false;
  void dataDone.then((ok) => (dataEndedWell = ok));
  const end = await raceDataEnd(client, transfer, dataDone, () => sink.received, need, r.context, ' (the data connection ended early)');
  if (end === 'whole') {
    const reply = transfer.then(() => undefined);
    reply.catch(() => {});
    return reply;
  }
  // Ended short before the final reply: failed at once, the control connection closed (see raceDataEnd).
  if (end instanceof FanoutError) throw end;
  try {
    await transfer;
  } catch (e) {
    if (/timeout/i.test(String((e as Error)?.message))) {
      // The data ended but no final reply came (pure-ftpd sends none after a transfer it could not
      // finish): with no size known, only that reply could tell the bytes whole. basic-ftp watches
      // the control connection with the stall timeout once the data ended.
      if (dataEndedWell) throw new FanoutError('TIMEOUT', `No final reply from ${r.host} in ${r.stallMs} ms after the data of ${r.remotePath} ended (${sink.received} bytes): its size is unknown, so it is not taken as whole without the server's 226`, r.context, { cause: e });
      throw new FanoutError('TIMEOUT', `The data connection to ${r.host} stalled: nothing received for ${r.stallMs} ms`, r.context, { cause: e });
    }
    throw e;
  }
  await dataDone;
  if (need !== null && sink.received !== need) throw sizeMismatch(sink.received, need, r.context);
  // Size unknown (no SIZE, no size listed): a 226 does not make the bytes whole (a middlebox cutting
  // the data with a FIN after the server wrote it all gets one from all three servers). The count
  // must fit what the 150 said, where it said (vsftpd, ProFTPD: bytes; pure-ftpd: kbytes, to 52 bytes).
  const short = replies && r.startAt === 0 ? announcedMismatch(sink.received, replies.messages, r.context) : null;
  if (short) throw short;
  return null;
}
