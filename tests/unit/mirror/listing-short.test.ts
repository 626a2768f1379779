import { describe, expect, it } from 'vitest';
import { listingShort } from '../../../electron/engine/mirror/listing-parsers';

/** The replies are the three servers' own (tests/integration/mirror/ftp-listing-cut.test.ts). */
const lines = ['drwxr-xr-x    2 0          0                4096 Dec  3 18:16 .', '-rw-r--r--    1 0          0                 100 Dec  3 18:16 4000-0.txt', '-rw-r--r--    1 0          0                 100 Dec  3 18:16 4000.zip'];
const whole = lines.map((l) => `${l}\r\n`).join('');

describe('listingShort', () => {
  it("pure-ftpd: the lines must be as many as its 226 counts (LIST's multi-line 226 too)", () => {
    expect(listingShort(whole, '226-Options: -a -l \n226 3 matches total')).toEqual({ kind: 'counted' });
    expect(listingShort(whole, '226 3 matches total')).toEqual({ kind: 'counted' });
    expect(listingShort(lines.slice(0, 2).map((l) => `${l}\r\n`).join(''), '226-Options: -a -l \n226 3 matches total')).toEqual({ kind: 'short', why: '2 of the 3 entries its final reply counts arrived' });
    expect(listingShort('', '226 3 matches total')).toMatchObject({ kind: 'short' });
    expect(listingShort('', '226 0 matches total')).toEqual({ kind: 'counted' });
  });
  it("pure-ftpd's -L limit: truncated", () => {
    expect(listingShort(whole, '226 Output truncated to 3 matches')).toEqual({ kind: 'truncated', entries: 3 });
  });
  it('vsftpd, ProFTPD: no count; a text cut mid-line is short, one cut at a line end cannot be told', () => {
    expect(listingShort(whole, '226 Directory send OK.')).toEqual({ kind: 'uncounted' });
    expect(listingShort(whole.slice(0, -7), '226 Transfer complete')).toMatchObject({ kind: 'short', why: 'its last line ends without a line end' });
    expect(listingShort(whole.slice(0, whole.indexOf('\n') + 1), '226 Transfer complete')).toEqual({ kind: 'uncounted' });
    expect(listingShort('', '226 Directory send OK.')).toEqual({ kind: 'uncounted' });
  });
});
