import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { expectFoldersArchivedOnce } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

/**
 * literal-pieces.ts hands a body on as views of the chunks it arrived in and writes it later: the
 * bytes must still be the body's when they are written, whatever reads the socket. Over TLS the chunks
 * are TLS's cleartext buffers (the other archive tests run cleartext, and compressed on Cyrus): bodies
 * of one chunk and of many (attachments of 300 KB), over implicit TLS and STARTTLS, with 1 and 4
 * connections, archived byte for byte.
 */
describe('bodies in pieces over TLS (Dovecot)', () => {
  let bed: MailTestBed<DovecotServer>;
  const folders = [
    { logical: 'INBOX', count: 40 },
    { logical: 'Sent', count: 12 },
  ];

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot({ tls: true }), {
      tmpPrefix: 'fanout-pieces-tls-',
      crlf: true,
      folders: [
        { path: 'INBOX', count: 40, big: { count: 6, bytes: 300_000 } },
        { path: 'Sent', count: 12, big: { count: 3, bytes: 150_000 } },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await bed?.stop();
  });

  for (const [tls, connections] of [
    ['implicit', 4],
    ['starttls', 1],
  ] as const) {
    it(`${tls} TLS, ${connections} connection(s): every message archived byte for byte`, async () => {
      const account = bed.account({ port: tls === 'implicit' ? bed.srv.tlsPort : bed.srv.port, tls, allowUntrustedCert: true });
      const out = join(bed.base, `${tls}-${connections}`);
      const summary = await runMailJob({ kind: 'mail', account, outDir: out, connections, strategy: 'adaptive' }, createJobControl());
      expect(summary.failures).toEqual([]);
      expect(summary.itemsDone).toBe(52);
      await expectFoldersArchivedOnce(bed.srv, accountDir({ outDir: out, account }), folders);
    }, 120_000);
  }
});
