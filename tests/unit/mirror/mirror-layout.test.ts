import { describe, expect, it } from 'vitest';
import { bookDir, candidates, chooseCandidate } from '../../../electron/engine/mirror/mirror-layout';
import { FanoutError } from '../../../electron/engine/core/fanout-error';

describe('bookDir', () => {
  it('follows the Gutenberg layout', () => {
    expect(bookDir(5)).toBe('0/5');
    expect(bookDir(10)).toBe('1/10');
    expect(bookDir(418)).toBe('4/1/418');
    expect(bookDir(1342)).toBe('1/3/4/1342');
    expect(bookDir(12345)).toBe('1/2/3/4/12345');
  });
  it('rejects non-ebook numbers with BAD_INPUT', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 1e12]) {
      expect(() => bookDir(bad)).toThrow(FanoutError);
    }
  });
});

describe('candidates', () => {
  it('orders text before zip, UTF-8 before Latin-1 before unknown', () => {
    expect(candidates(418, 'ftp').map((c) => c.remoteName)).toEqual(['418-0.txt', '418-8.txt', '418.txt', '418-0.zip', '418-8.zip', '418.zip']);
    expect(candidates(418, 'ftp').map((c) => c.encodingHint)).toEqual(['utf-8', 'latin-1', 'unknown', 'utf-8', 'latin-1', 'unknown']);
  });
  it('adds cache/epub only for HTTP(S)', () => {
    const http = candidates(418, 'https');
    expect(http.at(-1)).toMatchObject({ relPath: 'cache/epub/418/pg418.txt', textName: 'pg418.txt', cache: true });
    expect(candidates(418, 'ftps').some((c) => c.cache)).toBe(false);
  });
  it('names a zip text after the zip', () => {
    expect(candidates(77, 'ftp').find((c) => c.remoteName === '77-8.zip')).toMatchObject({ textName: '77-8.txt', fromZip: true, relPath: '7/77/77-8.zip' });
  });
});

describe('chooseCandidate', () => {
  it('picks the best form present', () => {
    expect(chooseCandidate(418, ['418.txt', '418-8.txt', '418-0.zip'], 'ftp')?.remoteName).toBe('418-8.txt');
    expect(chooseCandidate(418, ['418.zip', 'readme', '418-h'], 'ftp')?.remoteName).toBe('418.zip');
    expect(chooseCandidate(418, ['418.txt', '418-0.txt'], 'http')?.remoteName).toBe('418-0.txt');
  });
  it('matches exact names only', () => {
    expect(chooseCandidate(418, ['../418-0.txt', '/418-0.txt', '418-0.TXT', '4180-0.txt', ' 418-0.txt'], 'ftp')).toBeNull();
    expect(chooseCandidate(418, [], 'http')).toBeNull();
    expect(chooseCandidate(418, ['pg418.txt'], 'http')).toBeNull();
  });
});
