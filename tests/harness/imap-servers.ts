import { startCourier } from './courier';
import { startCyrus } from './cyrus';
import { startDovecot } from './dovecot';
import type { ImapTestServer } from './imap-server';

/** The interop matrix: each real server in each folder layout real installations use. */
export const IMAP_MATRIX = ['dovecot', 'cyrus', 'cyrus-slash', 'courier'] as const;
export type ImapMatrixEntry = (typeof IMAP_MATRIX)[number];

export function startImapServer(entry: ImapMatrixEntry): Promise<ImapTestServer> {
  switch (entry) {
    case 'dovecot':
      return startDovecot({ maxUserIpConnections: 64 });
    case 'cyrus':
      return startCyrus({ unixHierarchySep: false });
    case 'cyrus-slash':
      return startCyrus({ unixHierarchySep: true });
    case 'courier':
      return startCourier();
  }
}
