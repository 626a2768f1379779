import { describe, expect, it } from 'vitest';
import { parseHtmlIndex, parseStatListing } from '../../../electron/engine/mirror/listing-parsers';

describe('parseStatListing', () => {
  it('parses vsftpd STAT output', () => {
    const msg = [
      '213-Status follows:',
      'drwxr-xr-x    2 ftp      ftp          4096 Nov 21 20:27 .',
      'drwxr-xr-x    3 ftp      ftp          4096 Nov 21 20:27 ..',
      '-rw-r--r--    1 ftp      ftp        310639 Nov 21 20:28 418-0.txt',
      '-rw-r--r--    1 ftp      ftp         87835 Jan  3  2019 418-8.zip',
      'drwxr-xr-x    2 ftp      ftp          4096 Nov 21 20:27 418-h',
      'lrwxrwxrwx    1 ftp      ftp            10 Nov 21 20:27 418.txt -> 418-0.txt',
      '213 End of status',
    ].join('\r\n');
    expect(parseStatListing(msg)).toEqual([
      { name: '418-0.txt', size: 310639, isDir: false },
      { name: '418-8.zip', size: 87835, isDir: false },
      { name: '418-h', size: null, isDir: true },
      { name: '418.txt', size: null, isDir: false }, // a symlink: 10 is the length of '418-0.txt'
    ]);
  });
  it('accepts 213- and space prefixed lines, numeric ids, names with spaces', () => {
    const msg = ['213-Status of /x:', '213--rw-r--r--   1 1000 1000   12 Mar  1 10:00 a b.txt', ' -rw-r--r--   1 0 0   7 Mar  1  2020 c.txt', 'total 8', '213 End.'].join('\n');
    expect(parseStatListing(msg).map((e) => [e.name, e.size])).toEqual([
      ['a b.txt', 12],
      ['c.txt', 7],
    ]);
  });
  it('parses DOS-style lines and an empty listing', () => {
    expect(parseStatListing('213-x\n03-04-21  10:00AM       1234 5-0.txt\n03-04-21  10:00AM  <DIR>  sub\n213 End')).toEqual([
      { name: '5-0.txt', size: 1234, isDir: false },
      { name: 'sub', size: null, isDir: true },
    ]);
    expect(parseStatListing('213-Status follows:\r\n213 End of status')).toEqual([]);
  });
});

describe('parseHtmlIndex', () => {
  it('reads an nginx autoindex', () => {
    const html = '<pre><a href="../">../</a>\n<a href="418-0.txt">418-0.txt</a>  2024-01-01 10:00  1234\n<a href="418-h/">418-h/</a>\n<a href="a%20b.txt">a b.txt</a></pre>';
    expect(parseHtmlIndex(html)).toEqual([
      { name: '418-0.txt', size: null, isDir: false },
      { name: '418-h', size: null, isDir: true },
      { name: 'a b.txt', size: null, isDir: false },
    ]);
  });
  it('drops hostile and foreign links', () => {
    const html = `<a href="../evil.txt"><a href='/etc/passwd'><a href="http://x/418-0.txt"><a href="..%2F418-0.txt"><a href="a%5Cb.txt"><a href="x?C=M"><a href=%00.txt><a href=./ok.txt><a HREF=plain.txt>`;
    expect(parseHtmlIndex(html).map((e) => e.name)).toEqual(['ok.txt', 'plain.txt']);
  });
});
