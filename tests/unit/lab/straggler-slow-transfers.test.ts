import { describe, expect, it } from 'vitest';
import { CommandLines, SlowTransfers, slowBooks } from '../../harness/slow-transfers';

describe('the latency proxy\'s stragglers (slow-transfers.ts)', () => {
  it('finds HTTP request paths and FTP transfer commands across chunk boundaries', () => {
    const http = new CommandLines('http');
    expect(http.push(Buffer.from('GET /2/0/0/2/2002-0.t'))).toEqual([]);
    expect(http.push(Buffer.from('xt HTTP/1.1\r\nhost: x\r\n\r\nGET /a HTTP/1.1\r\n'))).toEqual(['/2/0/0/2/2002-0.txt', '/a']);
    const ftp = new CommandLines('ftp');
    expect(ftp.push(Buffer.from('STAT /0/5\r\nEPSV\r\nRETR /0/5/5-0.txt\r\nLIST\r\nRE'))).toEqual(['/0/5/5-0.txt', '']);
    expect(ftp.push(Buffer.from('TR 7.txt\r\n'))).toEqual(['7.txt']);
  });

  it('slows the chosen books by file name, and lets the transfer after a cut one through', () => {
    const slow = new SlowTransfers(slowBooks([5, 2002], { bytesPerSecond: 10_000 }));
    expect(slow.claim('/1/5/15-0.txt')).toBeNull();
    expect(slow.claim('/2/0/0/2/2002/')).toBeNull();
    const first = slow.claim('/0/5/5-0.txt')!;
    expect(first).not.toBeNull();
    // Paced: 10 KB/s in pieces, the first at once, the last about a second later.
    const pieces = first.pace(Buffer.alloc(10_000), 1000);
    expect(pieces[0]!.dueAt).toBe(1000);
    expect(pieces.reduce((n, p) => n + p.piece.length, 0)).toBe(10_000);
    expect(pieces.at(-1)!.dueAt).toBeGreaterThan(1800);
    // Cut while pieces were held back: the next transfer of that path is fast, the one after slow again.
    slow.clientLeft(first);
    expect(slow.claim('/0/5/5-0.txt')).toBeNull();
    const third = slow.claim('/0/5/5-0.txt')!;
    // Delivered to its end: the next stays slow.
    third.pace(Buffer.alloc(100), 0);
    third.pending = 0;
    slow.clientLeft(third);
    expect(slow.claim('/0/5/5-0.txt')).not.toBeNull();
  });

  it('the re-issue is fast when its request comes before the cut connection\'s close', () => {
    // Seen under load (straggler-lab-cli, `fanout gutenberg --item-timeout`: 'expected 2 to be 1' slowed):
    // the new connection's request reached the proxy before the old one's close, and was slowed too.
    const slow = new SlowTransfers(slowBooks([5], { bytesPerSecond: 10_000 }));
    const first = slow.claim('/0/5/5-0.txt')!;
    first.pace(Buffer.alloc(10_000), 0);
    expect(slow.claim('/0/5/5-0.txt')).toBeNull(); // the re-issue, the cut one still holding bytes back
    slow.clientLeft(first); // its close, seen after: the re-issue was the fast one
    expect(slow.claim('/0/5/5-0.txt')).not.toBeNull();
  });
});
