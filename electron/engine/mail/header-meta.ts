import libmime from 'libmime';
import type { FetchMessageObject } from 'imapflow';
import { parseEnvelopeAddresses } from './envelope-address';
import { normalizeMessageId, storedFlags, toDate, type MessageMeta } from './message-meta';
import type { MessageBytes } from './message-file';

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
  // Look for a bare-LF blank line only before the CRLF one: a CRLF message has none, and the
  // search would otherwise run through the whole body.
  const lf = (crlf < 0 ? source : source.subarray(0, crlf + 2)).indexOf('\n\n');
  if (lf >= 0) return lf + 1;
  return crlf < 0 ? source.length : crlf + 2;
}

const WANTED = new Set(['message-id', 'subject', 'from']);
/** First bytes of the wanted field names (m, s, f in both cases): other lines are skipped unread. */
const FIRST_BYTES = new Set([0x6d, 0x4d, 0x73, 0x53, 0x66, 0x46]);

/**
 * The last occurrence of each wanted field (the server's ENVELOPE keeps the last), line ends removed
 * (folds keep their blanks). Scans the header's bytes; only the wanted fields are decoded (UTF-8).
 */
function headerFields(source: Buffer): Map<string, string> {
  const end = headerEnd(source);
  const out = new Map<string, string>();
  let name: string | null = null;
  let valueStart = 0;
  let valueEnd = 0;
  const flush = () => {
    if (name !== null) {
      const v = source.toString('utf8', valueStart, valueEnd).replace(/\r?\n/g, '');
      out.set(name, (v.endsWith('\r') ? v.slice(0, -1) : v).replace(/^[ \t]+/, ''));
    }
    name = null;
  };
  for (let i = 0; i < end; ) {
    const nl = source.indexOf(10, i);
    const lineEnd = nl < 0 || nl >= end ? end : nl;
    const first = source[i]!;
    if (first === 0x20 || first === 0x09) {
      if (name !== null) valueEnd = lineEnd;
    } else {
      flush();
      if (FIRST_BYTES.has(first)) {
        const colon = source.indexOf(0x3a, i);
        if (colon > i && colon < lineEnd) {
          const field = source.toString('latin1', i, colon).trimEnd().toLowerCase();
          if (WANTED.has(field)) {
            name = field;
            valueStart = colon + 1;
            valueEnd = lineEnd;
          }
        }
      }
    }
    i = lineEnd + 1;
  }
  flush();
  return out;
}

/** libmime's decodeWords only rewrites encoded words (and its own join markers, which hold a NUL). */
const decodeWords = (value: string): string => (value.includes('=?') || value.includes('\0') ? libmime.decodeWords(value) : value);

/** Dovecot sends ENVELOPE text "for humans": blanks (tabs, folds) collapsed to one space, trimmed. */
const forHumans = (value: string): string => value.replace(/[\r\n]+/g, '').replace(/[ \t]+/g, ' ').replace(/\0/g, '\ufffd').replace(/^ | $/g, '');


/** imapflow's `decodeText` of an ENVELOPE string: encoded words decoded, surrounding quotes dropped. */
const decodeEnvelopeText = (value: string): string => {
  const v = decodeWords(value);
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
    subject: subject && forHumans(subject) ? decodeWords(forHumans(subject)) : null,
    from: from === undefined ? null : firstFrom(from),
  };
}

/** `metaOf` for a message fetched whole without ENVELOPE: the header fields from its bytes. */
export function metaOfSource(m: Pick<FetchMessageObject, 'uid' | 'flags' | 'internalDate'>, source: MessageBytes, uidValidity: string): MessageMeta {
  return { uid: m.uid, uidValidity, internalDate: toDate(m.internalDate), flags: storedFlags(m.flags), ...headerMeta(headOf(source)) };
}

/**
 * A message's first bytes as one Buffer, as far as `headerEnd` reads: a message in pieces
 * (literal-pieces.ts) is joined only up to the piece that holds its first empty line (CRLF or bare
 * LF; the whole message when it has none), so `headerMeta` of the head equals `headerMeta` of the
 * whole (the first empty line of a prefix that holds one is the message's first).
 */
export function headOf(source: MessageBytes): Buffer {
  if (!Array.isArray(source)) return asBuffer(source as Uint8Array);
  const pieces = (source as readonly Uint8Array[]).map(asBuffer);
  // The pieces up to the first that holds an empty line or ends one begun before it (the last
  // three bytes before it and its first three span any CRLF CRLF or LF LF across the boundary).
  let tail = Buffer.alloc(0);
  let upTo = 0;
  while (upTo < pieces.length) {
    const piece = pieces[upTo++]!;
    const across = Buffer.concat([tail, piece.subarray(0, 3)]);
    if (hasEmptyLine(across) || hasEmptyLine(piece)) break;
    tail = Buffer.concat([tail, piece]).subarray(-3);
  }
  return upTo === 1 ? pieces[0]! : Buffer.concat(pieces.slice(0, upTo));
}

function hasEmptyLine(b: Buffer): boolean {
  return b.indexOf('\n\n') >= 0 || b.indexOf('\r\n\r\n') >= 0;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
}
