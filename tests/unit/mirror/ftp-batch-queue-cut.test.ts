import { FTPError } from 'basic-ftp';
import { describe, expect, it } from 'vitest';
import { newBatchBook } from '../../../electron/engine/mirror/ftp-batch-book';
import { BatchCommandQueue } from '../../../electron/engine/mirror/ftp-batch-queue';

/**
 * A transfer cut before its RETR's final reply (ftp-batch.ts afterCut): the queue marks the RETR and
 * expects a NOOP behind it. vsftpd and ProFTPD answer 426 then 200; pure-ftpd only 200 (no final
 * reply after a transfer it could not finish), which stands for both; anything else is out of step.
 */
const OPTS = { pipelined: false, statWorks: true, epsvWorks: true, root: '' };
const ok = (code: number, text = 'ok') => ({ code, message: `${code} ${text}` });

/** One book listed and its transfer at the server, its 150 received. */
function transferring() {
  const book = newBatchBook('h', '', 2000);
  const q = new BatchCommandQueue([book]);
  expect(q.next(OPTS, () => {}).map((c) => c.cmd)).toEqual(['STAT']);
  expect(q.match(ok(213, 'End.'), '')).toMatchObject({ kind: 'final', sent: { cmd: 'STAT' } });
  book.phase = 'ready';
  book.remotePath = '/2/0/0/2000/2000-0.txt';
  book.size = 1000;
  q.addTransfer(book);
  expect(q.next(OPTS, () => {}).map((c) => c.cmd)).toEqual(['MDTM', 'EPSV', 'RETR']);
  expect(q.match(ok(213, '20260101000000'), '').kind).toBe('final');
  expect(q.match(ok(229, 'Extended Passive mode OK (|||1234|)'), '').kind).toBe('final');
  expect(q.match(ok(150, '1.0 kbytes to download'), '').kind).toBe('preliminary');
  return { book, q };
}

describe('BatchCommandQueue: a cut transfer', () => {
  it('no final reply (pure-ftpd): the NOOP\'s 200 answers for both, nothing left at the server', () => {
    const { book, q } = transferring();
    expect(q.markCut(book)).toBe(true);
    expect(q.markCut(book)).toBe(false); // once
    // The stray rate line pure-ftpd sends with the last code, 150: still the cut transfer's.
    expect(q.match(ok(150, '0.006 seconds (measured here), 692.32 Mbytes per second'), '').kind).toBe('preliminary');
    expect(q.match(ok(200, 'Zzz...'), '')).toMatchObject({ kind: 'final', sent: { cmd: 'NOOP', marker: true, afterCut: true } });
    expect(q.idle).toBe(true);
    expect(q.activeTransfer).toBeUndefined();
  });

  it('a final reply (vsftpd, ProFTPD: 426), then the NOOP\'s 200', () => {
    const { book, q } = transferring();
    expect(q.markCut(book)).toBe(true);
    expect(q.match(new FTPError(ok(426, 'Failure writing network stream.')), '')).toMatchObject({ kind: 'final', sent: { cmd: 'RETR' } });
    const noop = q.match(ok(200, 'NOOP ok.'), '');
    expect(noop).toMatchObject({ kind: 'final', sent: { cmd: 'NOOP', marker: true } });
    expect((noop as { sent: { afterCut?: true } }).sent.afterCut).toBeUndefined();
    expect(q.idle).toBe(true);
  });

  it('the RETR already answered: no NOOP', () => {
    const { book, q } = transferring();
    expect(q.match(ok(226, 'Transfer complete.'), '').kind).toBe('final');
    expect(q.markCut(book)).toBe(false);
    expect(q.idle).toBe(true);
  });

  it('anything but 200 where the cut RETR\'s reply is due is out of step; so is a 200 to a RETR not cut', () => {
    const cut = transferring();
    cut.q.markCut(cut.book);
    expect(cut.q.match(ok(213, '20260101000000'), '').kind).toBe('outOfStep');
    const whole = transferring();
    expect(whole.q.match(ok(200, 'Zzz...'), '').kind).toBe('outOfStep');
  });
});
