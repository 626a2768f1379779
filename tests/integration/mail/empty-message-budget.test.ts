import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMaildir, type MaildirMessage } from '../../harness/dovecot-maildir';
import { archivedFolderDir, readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { JobWrites } from '../../../electron/engine/mail/mail-worker';
import { createJobControl } from '../../../electron/engine/core/job-control';

/**
 * A message whose body is 0 bytes (an empty Maildir file: Dovecot serves RFC822.SIZE 0 and BODY[]
 * {0}; it refuses to APPEND one) takes a write of 0 bytes from the job's write budget. Every write
 * taken must be given back when it settles: 0 once stood for "nothing taken" and an empty
 * message's slot never came back (HE s18 F12), so each cost the job one of its writes in flight
 * for the rest of the run.
 */
describe('empty messages and the job write budget (Dovecot)', () => {
  let bed: MailTestBed<DovecotServer>;
  const proto = JobWrites.prototype as unknown as { take(size: number): void; release(size: number): void };
  const take = proto.take;
  const release = proto.release;

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot(), { tmpPrefix: 'fanout-empty-' });
    function* messages(): Generator<MaildirMessage> {
      for (let i = 0; i < 30; i++) {
        const source = i % 3 === 0 ? Buffer.alloc(0) : Buffer.from(`From: a@example.org\r\nSubject: m${i}\r\n\r\nbody ${i}\r\n`);
        yield { source, date: new Date(Date.UTC(2020, 0, 1 + i)), seen: i % 2 === 0 };
      }
    }
    // Written before any session looks at the folder: Dovecot numbers them when one first does.
    fillMaildir(bed.srv, 'Empties', messages());
  }, 60_000);

  afterAll(async () => {
    proto.take = take;
    proto.release = release;
    await bed?.stop();
  });

  it('every write taken is given back, empty bodies included; every message is archived', async () => {
    let taken = 0;
    let given = 0;
    proto.take = function (this: JobWrites, size: number) {
      taken++;
      take.call(this, size);
    };
    proto.release = function (this: JobWrites, size: number) {
      given++;
      release.call(this, size);
    };
    try {
      const account = bed.account();
      const summary = await runMailJob(
        { kind: 'mail', account, outDir: bed.out, connections: 1, strategy: 'adaptive', folders: ['Empties'], timeoutMs: 10_000 },
        createJobControl(),
      );
      expect(summary.failures).toEqual([]);
      expect(summary.status).toBe('succeeded');
      const records = readIndex(archivedFolderDir(accountDir({ outDir: bed.out, account }), 'Empties'));
      expect(records.length).toBe(30);
      expect(records.filter((r) => r.size === 0).length).toBe(10);
      expect(taken).toBeGreaterThanOrEqual(30);
      expect(given, 'writes given back to the job budget').toBe(taken);
    } finally {
      proto.take = take;
      proto.release = release;
    }
  }, 60_000);
});
