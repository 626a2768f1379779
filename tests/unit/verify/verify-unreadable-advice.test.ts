import { describe, expect, it } from 'vitest';
import { formatVerifyReport } from '../../../electron/cli/verify-command';
import { emptyReport, finishReport } from '../../../electron/engine/verify/verify-report';

/**
 * A file verify may not read (EACCES: another user's, mode 600) is listed, but it may be whole:
 * `fanout verify` told the user to delete it ('delete the file(s) listed as corrupt'), throwing
 * away a good file for a permission problem. Found running verify as nobody (HS, session 16).
 */
describe('verify: a file this user may not read is not called damaged', () => {
  it('corpus: an unreadable file gets "fix its permissions", not "delete"', () => {
    const r = emptyReport('corpus');
    r.checked.files = 30;
    r.corrupt.push({ where: '/srv/out', ebook: 1001, file: 'raw/1001-0.txt', reason: 'denied', detail: 'cannot be read: no permission (EACCES)' });
    const text = formatVerifyReport(finishReport(r));
    expect(text).toMatch(/^to do: 1 file\(s\) cannot be read by this user \(no permission\).*do not delete them; fix their permissions/m);
    expect(text).not.toMatch(/delete the file\(s\) listed as corrupt/);
  });

  it('corpus: beside a damaged file, each gets its own remedy', () => {
    const r = emptyReport('corpus');
    r.corrupt.push({ where: '/srv/out', ebook: 1001, file: 'raw/1001-0.txt', reason: 'denied', detail: 'cannot be read: no permission (EPERM)' });
    r.corrupt.push({ where: '/srv/out', ebook: 1002, file: 'raw/1002-8.txt', reason: 'size', detail: '3 bytes, recorded 9' });
    const text = formatVerifyReport(finishReport(r));
    expect(text).toMatch(/^to do: 1 file\(s\) cannot be read by this user/m);
    expect(text).toMatch(/delete the file\(s\) listed as corrupt/);
  });

  it('mail: an unreadable message file is not counted among the damaged ones to delete', () => {
    const r = emptyReport('mail');
    r.corrupt.push({ where: 'INBOX', uid: 6, file: '6.eml', reason: 'denied', detail: 'cannot be read: no permission (EACCES)' });
    const text = formatVerifyReport(finishReport(r));
    expect(text).toMatch(/^to do: 1 file\(s\) cannot be read by this user/m);
    expect(text).not.toMatch(/damaged: delete them/);
  });

  it('told by the reason, not the words: a denial reworded is one; a damaged file whose detail reads like one is not', () => {
    const r = emptyReport('corpus');
    r.corrupt.push({ where: '/srv/out', ebook: 1001, file: 'raw/1001-0.txt', reason: 'denied', detail: 'not readable by this user' });
    r.corrupt.push({ where: '/srv/out', ebook: 1002, file: 'raw/1002-8.txt', reason: 'hash', detail: 'cannot be read: no permission (EACCES)' });
    const text = formatVerifyReport(finishReport(r));
    expect(text).toMatch(/^to do: 1 file\(s\) cannot be read by this user/m);
    expect(text).toMatch(/delete the file\(s\) listed as corrupt/);
  });
});
