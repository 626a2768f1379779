import { expect, it } from 'vitest';
import { checkMirrorUrl, redactUrl } from '../../../shared/input-checks';

/**
 * A mirror URL's password never reaches a message, a log, history.json or the page. The user
 * information runs to the authority's last '@' (WHATWG): an e-mail login holds an '@', so may a
 * password. Before, `ftp://me@example.org:s3cret@host/` came back unchanged, password and all.
 */
it.each([
  ['ftp://user:s3cret@mirror.example/g', 'ftp://user:***@mirror.example/g'],
  ['ftp://me@example.org:s3cret@ftp.example/gutenberg', 'ftp://me@example.org:***@ftp.example/gutenberg'],
  ['ftp://user:p@ss@mirror.example/g', 'ftp://user:***@mirror.example/g'],
  ['https://mirror.example/gutenberg/', 'https://mirror.example/gutenberg/'],
  ['ftp://anonymous@mirror.example/', 'ftp://anonymous@mirror.example/'],
  ['ftp://mirror.example/a@b/', 'ftp://mirror.example/a@b/'],
])('%s → %s', (url, shown) => {
  expect(checkMirrorUrl(url)).toBeNull();
  expect(redactUrl(url)).toBe(shown);
  expect(redactUrl(url)).not.toContain('s3cret');
});
