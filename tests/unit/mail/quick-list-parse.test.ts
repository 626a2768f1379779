import { describe, expect, it } from 'vitest';
import { decodeMailboxName, folderPath, greetingCapabilities, listEntry, statusEntry, taggedAnswer, tokenize } from '../../../electron/engine/mail/quick-list-parse';

describe('quick listing: the response lines it reads', () => {
  it('reads LIST and STATUS lines: atoms, quoted strings with escapes, NIL, numbers beyond 2^53', () => {
    const list = listEntry(tokenize('(\\HasNoChildren \\Sent) "/" "Sent \\"Items\\" \\\\ x"')!);
    expect(list).toEqual({ raw: 'Sent "Items" \\ x', delimiter: '/', flags: ['\\HasNoChildren', '\\Sent'] });
    expect(listEntry(tokenize('(\\Noselect) NIL Top')!)).toEqual({ raw: 'Top', delimiter: '', flags: ['\\Noselect'] });
    const st = statusEntry(tokenize('"Sent Items" (MESSAGES 12 UIDNEXT 13 UIDVALIDITY 1700000000 HIGHESTMODSEQ 18446744073709551615)')!);
    expect(st?.raw).toBe('Sent Items');
    expect(Object.fromEntries(st!.items)).toEqual({ MESSAGES: '12', UIDNEXT: '13', UIDVALIDITY: '1700000000', HIGHESTMODSEQ: '18446744073709551615' });
  });

  it('gives up (null) on what it does not read exactly: a literal, unbalanced parentheses, a non-number', () => {
    expect(tokenize('(\\HasNoChildren) "/" {5}')).toBeNull();
    expect(tokenize('(\\HasNoChildren "/" x')).toBeNull();
    expect(tokenize('"unterminated')).toBeNull();
    expect(statusEntry(tokenize('INBOX (MESSAGES x)')!)).toBeNull();
  });

  it('decodes folder names as imapflow does: modified UTF-7, INBOX in any case, no leading delimiter', () => {
    expect(decodeMailboxName('Rock &- Roll')).toBe('Rock & Roll');
    expect(decodeMailboxName('Projekte/Gr&APY-&AN8-e')).toBe('Projekte/Größe');
    expect(decodeMailboxName('&A5UDuwO7A7cDvQO5A7oDrA-')).toBe('Ελληνικά');
    expect(folderPath('inbox', '/')).toBe('INBOX');
    expect(folderPath('/Archive', '/')).toBe('Archive');
    expect(folderPath('INBOX.Sent', '.')).toBe('INBOX.Sent');
  });

  it('reads capabilities from the greeting and a tagged answer, and a refusal as imapflow reports it', () => {
    expect(greetingCapabilities('* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] Dovecot ready.')).toEqual(new Set(['IMAP4REV1', 'LITERAL+', 'AUTH=PLAIN']));
    expect(greetingCapabilities('* OK Server ready')).toBeNull();
    const ok = taggedAnswer('Q1 OK [CAPABILITY IMAP4rev1 LIST-STATUS CONDSTORE] Logged in')!;
    expect(ok.status).toBe('OK');
    expect(ok.capabilities).toEqual(new Set(['IMAP4REV1', 'LIST-STATUS', 'CONDSTORE']));
    expect(taggedAnswer('Q1 NO [AUTHENTICATIONFAILED] Authentication failed.')).toEqual({ tag: 'Q1', status: 'NO', code: 'AUTHENTICATIONFAILED', text: 'Authentication failed.', capabilities: null });
    expect(taggedAnswer('Q1 NO Login failed')).toMatchObject({ code: null, text: 'Login failed' });
    expect(taggedAnswer('* OK [ALERT] hi')).toBeNull();
  });
});
