import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import type { ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { clientOptions } from '../../../electron/engine/mail/connect';
import { examineWithSizes, trimRoundTrips } from '../../../electron/engine/mail/imapflow-rounds';
import type { MailAccount } from '../../../shared/job-spec';

/**
 * A first run's size FETCH (written in EXAMINE's write) is answered with one line per message, and
 * the three lanes' lines of a first run are read one after another before their body FETCHes: they
 * are read from their bytes (`sizedLine`), not through imapflow's parser, on each server. The sizes
 * are the ones imapflow's own FETCH reads.
 */
describe.each(['dovecot', 'cyrus', 'courier'] as const)('size lines of a first run: %s', (entry) => {
  let srv: ImapTestServer;
  let account: MailAccount;

  beforeAll(async () => {
    srv = await startImapServer(entry);
    const admin = await srv.connect();
    for (let i = 0; i < 7; i++) await admin.append('INBOX', `Subject: size ${i}\r\n\r\n${'x'.repeat(100 * i)}\r\n`);
    await admin.logout();
    account = { host: srv.host, port: srv.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password: srv.password } };
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('every size line is read from its bytes, none through imapflow, and the sizes are imapflow\'s', async () => {
    const c = new ImapFlow({ ...clientOptions(account), logger: false });
    c.on('error', () => undefined);
    trimRoundTrips(c);
    // The size lines imapflow's own handler (and its parser) gets while the sizes are read.
    const parsedSizeLines: string[] = [];
    let recording = false;
    const proto = Object.getPrototypeOf(c) as { handleResponse(data: { payload?: Buffer }): Promise<unknown> };
    const handle = proto.handleResponse;
    proto.handleResponse = function (this: ImapFlow, data: { payload?: Buffer }) {
      const text = data?.payload?.toString('latin1') ?? '';
      if (recording && text.startsWith('*') && /RFC822\.SIZE/i.test(text)) parsedSizeLines.push(text);
      return handle.call(this, data);
    };
    await c.connect();
    try {
      const info = { path: 'INBOX', name: 'INBOX', delimiter: srv.separator, parent: null, specialUse: null, flags: [] };
      recording = true;
      const { mailbox, sizes } = await examineWithSizes(c, info, { condstore: false });
      recording = false;
      expect(mailbox.exists).toBe(7);
      expect(sizes).not.toBeNull();
      expect(parsedSizeLines).toEqual([]);
      const expected: { uid: number; size: number }[] = [];
      for await (const m of c.fetch('1:*', { uid: true, size: true }, { uid: true })) expected.push({ uid: m.uid, size: m.size! });
      expect(sizes).toEqual(expected);
    } finally {
      proto.handleResponse = handle;
      await c.logout();
    }
  }, 60_000);
});
