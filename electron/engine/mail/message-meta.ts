import type { FetchMessageObject } from 'imapflow';

/** What the index records of one message besides its bytes. */
export interface MessageMeta {
  uid: number;
  uidValidity: string;
  internalDate: Date;
  flags: string[];
  messageId: string | null;
  subject: string | null;
  from: string | null;
}

/**
 * The flags worth archiving, sorted. `\Recent` is session state (RFC 3501 §2.3.2: "this session
 * is the first to have been notified"), not a property of the message, and read-only EXAMINE never
 * clears it on Cyrus or Dovecot: storing it would record a different flag set on every server.
 */
export function storedFlags(flags: Iterable<string> | undefined): string[] {
  return [...(flags ?? [])].filter((f) => f.toLowerCase() !== '\\recent').sort();
}

export function normalizeMessageId(raw: string | undefined | null): string | null {
  if (!raw) return null;
  const s = raw.replace(/\s+/g, ' ').trim();
  return s.length > 0 ? s : null;
}

/** The Message-ID of a `BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]` answer (unfolded). */
export function headerMessageId(headers: Buffer | undefined): string | null {
  if (!headers) return null;
  const text = headers.toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const m = /^message-id:[ \t]*(.*)$/im.exec(text);
  return normalizeMessageId(m?.[1]);
}

export function toDate(d: Date | string | undefined): Date {
  if (d instanceof Date) return d;
  if (typeof d === 'string') {
    const parsed = new Date(d);
    if (!Number.isNaN(parsed.getTime())) return parsed;
  }
  return new Date(0);
}

export function formatAddress(env: FetchMessageObject['envelope']): string | null {
  const a = env?.from?.[0];
  if (!a) return null;
  if (a.name && a.address) return `${a.name} <${a.address}>`;
  return a.address ?? a.name ?? null;
}

export function metaOf(m: FetchMessageObject, uidValidity: string): MessageMeta {
  return {
    uid: m.uid,
    uidValidity,
    internalDate: toDate(m.internalDate),
    flags: storedFlags(m.flags),
    messageId: normalizeMessageId(m.envelope?.messageId),
    subject: m.envelope?.subject ?? null,
    from: formatAddress(m.envelope),
  };
}
