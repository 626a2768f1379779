/** The Test button's line: the server once, then what it said (seen walking the UI: 'Failed: 127.0.0.1:40159: Login to 127.0.0.1:40159 failed: …'). */
import { describe, expect, it } from 'vitest';
import { mailTestReply } from '../../../electron/engine/jobs/default-runners';

const error = (message: string) => ({ code: 'AUTH_FAILED' as const, message, retryable: false, context: {} });

describe('mailTestReply', () => {
  it('names the server once when the error names it already', () => {
    const r = mailTestReply({ ok: false, server: '127.0.0.1:143', warnings: ['Cleartext IMAP'], error: error('Login to 127.0.0.1:143 failed: the server rejected the user name or password/token') });
    expect(r.message).toBe('Login to 127.0.0.1:143 failed: the server rejected the user name or password/token (Cleartext IMAP)');
  });

  it('puts the server first when the error does not name it, and on success', () => {
    expect(mailTestReply({ ok: false, server: 'imap.example:993', warnings: [], error: error('timed out') }).message).toBe('imap.example:993: timed out');
    expect(mailTestReply({ ok: true, server: 'imap.example:993', folders: 3, messages: 54, warnings: [] })).toEqual({ ok: true, message: 'imap.example:993: 3 folders, 54 messages' });
  });
});
