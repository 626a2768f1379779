import { describe, expect, it } from 'vitest';
import { parseFolderIndex, parseHtmlIndex, parseJsonIndex, parseStatListing } from '../../../electron/engine/mirror/listing-parsers';

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
      { name: '418-0.txt', size: 310639, isDir: false, modified: 'Nov 21 20:28' },
      { name: '418-8.zip', size: 87835, isDir: false, modified: 'Jan 3 2019' },
      { name: '418-h', size: null, isDir: true, modified: 'Nov 21 20:27' },
      { name: '418.txt', size: null, isDir: false, modified: 'Nov 21 20:27' }, // a symlink: 10 is the length of '418-0.txt'
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
      { name: '5-0.txt', size: 1234, isDir: false, modified: '03-04-21 10:00AM' },
      { name: 'sub', size: null, isDir: true, modified: '03-04-21 10:00AM' },
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

describe('folder indexes as real servers write them', () => {
  const names = (html: string) => parseFolderIndex(html).filter((e) => !e.isDir).map((e) => e.name);

  it('reads Apache mod_autoindex with FancyIndexing (sort links and the parent are dropped)', () => {
    const html = `<table>
   <tr><th valign="top">&nbsp;</th><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th></tr>
<tr><td valign="top">&nbsp;</td><td><a href="/4/1/">Parent Directory</a></td><td>&nbsp;</td></tr>
<tr><td valign="top">&nbsp;</td><td><a href="418-8.txt">418-8.txt</a></td><td align="right">2026-11-30 19:49  </td><td align="right"> 19K</td></tr>
<tr><td valign="top">&nbsp;</td><td><a href="418%20notes.txt">418 notes.txt</a></td><td align="right">2026-11-30 19:49  </td></tr>
<tr><td valign="top">&nbsp;</td><td><a href="418.zip">418.zip</a></td><td align="right">2026-11-30 19:49  </td><td align="right">6.8K</td></tr>
</table>`;
    expect(names(html)).toEqual(['418-8.txt', '418 notes.txt', '418.zip']);
  });

  it('reads lighttpd dir-listing', () => {
    const html = `<table summary="Directory Listing" cellpadding="0" cellspacing="0"><thead><tr><th class="n">Name</th></tr></thead><tbody>
<tr class="d"><td class="n"><a href="../">..</a>/</td><td class="m">&nbsp;</td></tr>
<tr><td class="n"><a href="418-0.txt">418-0.txt</a></td><td class="m">2024-Jan-01 10:00:00</td><td class="s">302.5K</td><td class="t">text/plain</td></tr>
<tr><td class="n"><a href="418-h/">418-h</a>/</td></tr>
</tbody></table>`;
    expect(names(html)).toEqual(['418-0.txt']);
  });

  it('reads nginx autoindex_format json, sizes included, names raw', () => {
    const json = `[
{ "name":"418-8.txt", "type":"file", "mtime":"Mon, 30 Nov 2026 19:45:41 GMT", "size":19809 },
{ "name":"418 notes.txt", "type":"file", "mtime":"Mon, 30 Nov 2026 19:45:41 GMT", "size":12 },
{ "name":"418-h", "type":"directory", "mtime":"Mon, 30 Nov 2026 19:45:41 GMT" },
{ "name":"link.txt", "type":"other", "mtime":"Mon, 30 Nov 2026 19:45:41 GMT" }
]`;
    expect(parseJsonIndex(json)).toEqual([
      { name: '418-8.txt', size: 19809, isDir: false },
      { name: '418 notes.txt', size: 12, isDir: false },
      { name: '418-h', size: null, isDir: true },
      { name: 'link.txt', size: null, isDir: false },
    ]);
    expect(names(json)).toEqual(['418-8.txt', '418 notes.txt', 'link.txt']);
  });

  it('drops hostile JSON names, and falls back to HTML for what is not a JSON array', () => {
    const json = JSON.stringify([{ name: '../evil.txt', type: 'file' }, { name: '/etc/passwd' }, { name: 'a\\b.txt' }, { name: 'x\u0000.txt' }, { name: 7 }, null, { name: 'ok.txt', type: 'file', size: -1 }]);
    expect(parseJsonIndex(json)).toEqual([{ name: 'ok.txt', size: null, isDir: false }]);
    expect(parseJsonIndex('{"name":"x"}')).toBeNull();
    expect(parseJsonIndex('[not json')).toBeNull();
    expect(names('[broken <a href="5-0.txt">5-0.txt</a>')).toEqual(['5-0.txt']);
  });
});
