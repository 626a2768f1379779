import libmime from 'libmime';
import type { FetchMessageObject } from 'imapflow';
import { parseEnvelopeAddresses } from './envelope-address';
import { normalizeMessageId, storedFlags, toDate, type MessageMeta } from './message-meta';

/**
 * Message-ID, subject and first From of a message, read from its own header: the same values the
 * server's ENVELOPE gives once imapflow has decoded it (Dovecot's parse of the header: first
 * occurrence of each field, CR/LF removed, the From's display name unquoted, a comment standing in
 * for a missing name), without asking the server for ENVELOPE and parsing it per message.
 * tests/integration/mail/index-fields.test.ts holds this to the ENVELOPE on the real-mail corpus.
 */
export interface HeaderMeta {
  messageId: string | null;
  subject: string | null;
  from: string | null;
}

/** End of the header: the first empty line (or the whole message when there is none). */
function headerEnd(source: Buffer): number {
  const crlf = source.indexOf('\r\n\r\n');
  const lf = source.indexOf('\n\n');
  if (crlf < 0) return lf < 0 ? source.length : lf + 1;
  if (lf < 0 || crlf < lf) return crlf + 2;
  return lf + 1;
}

const WANTED = new Set(['message-id', 'subject', 'from']);

/** The last occurrence of each wanted field (the server's ENVELOPE keeps the last), line ends removed (folds keep their blanks). */
function headerFields(source: Buffer): Map<string, string> {
  const text = source.toString('utf8', 0, headerEnd(source));
  const out = new Map<string, string>();
  const lines = text.split('\n');
  let name: string | null = null;
  let value = '';
  const flush = () => {
    if (name !== null) out.set(name, value);
    name = null;
  };
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length > 0 && (line[0] === ' ' || line[0] === '\t')) {
      if (name !== null) value += line;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const field = line.slice(0, colon).trimEnd().toLowerCase();
    if (!WANTED.has(field)) continue;
    name = field;
    value = line.slice(colon + 1).replace(/^[ \t]+/, '');
  }
  flush();
  return out;
}

/** Dovecot sends ENVELOPE text "for humans": blanks (tabs, folds) collapsed to one space, trimmed. */
const forHumans = (value: string): string => value.replace(/[\r\n]+/g, '').replace(/[ \t]+/g, ' ').replace(/\0/g, '\ufffd').replace(/^ | $/g, '');


/** imapflow's `decodeText` of an ENVELOPE string: encoded words decoded, surrounding quotes dropped. */
const decodeEnvelopeText = (value: string): string => {
  const v = libmime.decodeWords(value);
  return v.length > 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
};

/**
 * The first From address as `formatAddress` shows the ENVELOPE's (imapflow's reading of it: a
 * group's start is a name without address, entries with neither are dropped), or null when there is none.
 */
export function firstFrom(value: string): string | null {
  for (const a of parseEnvelopeAddresses(value)) {
    const name = a.name === null ? '' : decodeEnvelopeText(forHumans(a.name));
    const mailbox = a.mailbox ?? '';
    if (!a.domain) {
      const groupName = name || (mailbox && decodeEnvelopeText(mailbox));
      if (groupName) return '';
      continue;
    }
    const address = `${mailbox}@${a.domain}`;
    return name ? `${name} <${address}>` : address;
  }
  return null;
}

export function headerMeta(source: Buffer): HeaderMeta {
  const f = headerFields(source);
  const subject = f.get('subject');
  const from = f.get('from');
  return {
    messageId: normalizeMessageId(f.get('message-id')),
    subject: subject && forHumans(subject) ? libmime.decodeWords(forHumans(subject)) : null,
    from: from === undefined ? null : firstFrom(from),
  };
}

/** `metaOf` for a message fetched whole without ENVELOPE: the header fields from its bytes. */
export function metaOfSource(m: FetchMessageObject & { source: Buffer }, uidValidity: string): MessageMeta {
  return { uid: m.uid, uidValidity, internalDate: toDate(m.internalDate), flags: storedFlags(m.flags), ...headerMeta(m.source) };
}
