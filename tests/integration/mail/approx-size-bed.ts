import type { FolderFill } from '../../harness/dovecot-fill';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer, type ImapMatrixEntry } from '../../harness/imap-servers';
import type { MailAccount } from '../../../shared/job-spec';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { approximateSizes, startResponseRelay, type ResponseRelay } from './response-relay';

/** A server behind a relay that announces every RFC822.SIZE 3 bytes more than the body (Exchange's approximate sizes). */
export interface ApproxSizeBed {
  bed: MailTestBed<ImapTestServer>;
  relay: ResponseRelay;
  /** Fanout's account through the relay. */
  account: MailAccount;
  /** The filled folder `Approx`, as the server names it (its prefix and separator). */
  path: string;
  stop(): Promise<void>;
}

/**
 * Starts `entry`, fills its folder `Approx` (`fill`: count and big messages; CRLF, seeded) and the
 * approximating relay before it (`beforeCommand`: response-relay.ts's, each client line).
 */
export async function openApproxSizeBed(
  entry: ImapMatrixEntry,
  opts: { tmpPrefix: string; fill: Omit<FolderFill, 'path'>; seed: number; beforeCommand?: (line: string) => Promise<void> | void },
): Promise<ApproxSizeBed> {
  const bed = await openMailTestBed(() => startImapServer(entry), {
    tmpPrefix: opts.tmpPrefix,
    folders: (s) => [{ path: serverPath(s, 'Approx'), ...opts.fill }],
    seed: opts.seed,
    crlf: true,
  });
  let relay: ResponseRelay;
  try {
    relay = await startResponseRelay(bed.srv.port, approximateSizes(3), opts.beforeCommand);
  } catch (err) {
    await bed.stop();
    throw err;
  }
  return {
    bed,
    relay,
    account: bed.account({ host: '127.0.0.1', port: relay.port }),
    path: serverPath(bed.srv, 'Approx'),
    async stop() {
      await relay.stop();
      await bed.stop();
    },
  };
}
