/**
 * The harness's admin client (every mail test's fills and checks) and a server's connection limit:
 * right after a job the server may still count the job's sessions (their LOGOUT is not waited for),
 * and a test's check connecting then was refused: auto-workers "cyrus limited to 3" failed
 * 'Command failed' at load ~22. The client tries a limit refusal again (bounded); other failures
 * are thrown at once.
 */
import { describe, expect, it } from 'vitest';
import { startCourier } from '../../harness/courier';
import { startCyrus } from '../../harness/cyrus';
import { startDovecot } from '../../harness/dovecot';
import { adminClient, type ImapTestServer } from '../../harness/imap-server';

describe('the IMAP harness admin client and the server connection limit', () => {
  it.each([
    ['cyrus', () => startCyrus({ maxLoginsPerUser: 1 })],
    ['courier', () => startCourier({ maxPerIp: 1 })],
    ['dovecot', () => startDovecot({ maxUserIpConnections: 1 })],
  ] as const)('%s limited to 1: a second admin client gets in once the first session leaves', async (_kind, start) => {
    const srv: ImapTestServer = await start();
    try {
      const first = await srv.connect();
      const second = srv.connect();
      // The first leaves only after the second has been refused at least once (before: that refusal was thrown).
      await new Promise((r) => setTimeout(r, 500));
      await first.logout();
      const admin = await second;
      try {
        expect(await admin.status('INBOX', { messages: true })).toMatchObject({ messages: expect.any(Number) });
      } finally {
        await admin.logout();
      }
      // A wrong password is not a limit: refused at once, not retried.
      await expect(adminClient(srv.port, srv.user, 'wrong-password')).rejects.toMatchObject({ authenticationFailed: true });
    } finally {
      await srv.stop();
    }
  });
});
