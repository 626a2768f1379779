import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Client } from 'basic-ftp';
import { sizeMismatch, type FanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';

/** True once `stream` (what a transfer's data connection is piped into) finished: the data ended; false if it failed. */
export function dataEnded(stream: Writable): Promise<boolean> {
  return once(stream, 'finish').then(
    () => true,
    () => false,
  );
}

/**
 * A transfer run by basic-ftp (`transfer`: its `downloadTo`, settled by the final reply) whose data
 * ends in `ended` (see dataEnded), `received()` bytes of `need` (null: size unknown). Resolves
 * `whole` when the data ended with exactly `need` bytes before the final reply (the caller may
 * collect that reply later); `wait` when the reply came first, the size is unknown, or more came
 * than `need` (the caller awaits the transfer and checks the count). Data that ended short before the
 * final reply means the transfer failed, whatever the server says next, if anything: pure-ftpd sends
 * no final reply after a transfer it could not finish (only a stray `150 <rate>` line), and waiting
 * for one lasted the whole stall timeout. So the control connection is closed at once (a reply
 * still to come must never be read as the next command's) and the SIZE_MISMATCH (retryable) to
 * throw is returned (`sizeMismatch`: its verdict `short`, and `note`), for the caller to throw after its cleanup.
 */
export async function raceDataEnd(client: Client, transfer: Promise<unknown>, ended: Promise<boolean>, received: () => number, need: number | null, context: ErrorContext, note = ''): Promise<'whole' | 'wait' | FanoutError> {
  const early = await Promise.race([transfer.then(() => false), ended]);
  if (!early || need === null) return 'wait';
  const got = received();
  if (got === need) return 'whole';
  if (got > need) return 'wait';
  client.close();
  return sizeMismatch(got, need, context, note);
}

/** The SIZE_MISMATCH of a transfer whose byte count is not the size given (its verdict in `detail.size`), for the FTP transfers that import it from here. */
export { sizeMismatch } from '../core/fanout-error';
