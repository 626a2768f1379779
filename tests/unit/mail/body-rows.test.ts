import { describe, expect, it } from 'vitest';
// imapflow's own stream (line and literal framing), parser and message formatter: the reading the
// hand-written one must agree with. Deep imports through imapflow's "./lib/*" export.
import { ImapStream } from 'imapflow/lib/handler/imap-stream.js';
import { parser } from 'imapflow/lib/handler/imap-handler.js';
import { formatMessageResponse } from 'imapflow/lib/tools.js';
import { bodyRow } from '../../../electron/engine/mail/body-rows';

interface StreamItem {
  payload: Buffer;
  literals: Buffer[];
}

/** The items imapflow's ImapStream makes of `wire` (fed in `pieces` chunks, to split lines and literals). */
async function frames(wire: Buffer, pieces = 1): Promise<StreamItem[]> {
  const stream = new (ImapStream as unknown as new (o: object) => import('node:stream').Transform)({ logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  const out: StreamItem[] = [];
  stream.on('data', (item: StreamItem & { next(): void }) => {
    out.push({ payload: item.payload, literals: item.literals });
    item.next();
  });
  const step = Math.max(1, Math.ceil(wire.length / pieces));
  for (let i = 0; i < wire.length; i += step) stream.write(wire.subarray(i, i + step));
  await new Promise<void>((resolve) => stream.end(resolve));
  await new Promise((r) => setImmediate(r));
  return out;
}

/** imapflow's message object of one item, as `fetch()` yields it. */
async function imapflowRow(item: StreamItem): Promise<Record<string, unknown>> {
  const parsed = await (parser as unknown as (p: Buffer, o: object) => Promise<unknown>)(item.payload, { literals: item.literals });
  const mailbox = { path: 'INBOX', uidNext: 1, highestModseq: undefined as bigint | undefined };
  const format = formatMessageResponse as unknown as (u: unknown, m: object, a: string) => Promise<Record<string, unknown>>;
  return format(parsed, mailbox, 'md5');
}

const body = (n: number) => Buffer.from(`Subject: m${n}\r\nFrom: a@b.c\r\n\r\n${'body line\r\n'.repeat(n)}`);
const row = (head: string, source: Buffer, tail = ')') => Buffer.concat([Buffer.from(`${head} {${source.length}}\r\n`), source, Buffer.from(`${tail}\r\n`)]);

/** Lines as the three servers send them (read off their wires, session 13), and every item order. */
const ACCEPTED: Array<[string, Buffer]> = [
  ['Dovecot', row('* 1 FETCH (UID 1 FLAGS (\\Seen) INTERNALDATE "02-Dec-2026 10:00:00 +0000" BODY[]', body(3))],
  ['Dovecot, CONDSTORE enabled', row('* 2 FETCH (UID 7 MODSEQ (12) FLAGS () INTERNALDATE "02-Dec-2026 10:00:00 +0100" BODY[]', body(0))],
  ['Cyrus, OBJECTID', row('* 3 FETCH (UID 9 FLAGS (\\Seen $Forwarded) INTERNALDATE " 2-Dec-2026 10:00:00 -0500" EMAILID (M1a2b3c4d5e6f) BODY[]', body(5))],
  ['Courier, items after the body', row('* 4 FETCH (UID 11 BODY[]', body(2), ' FLAGS (\\Recent \\Seen) INTERNALDATE "01-Jan-1999 00:00:00 +0000")')],
  ['body first', row('* 5 FETCH (BODY[]', body(1), ' UID 12 FLAGS (\\Answered))')],
  ['THREADID NIL, RFC822.SIZE', row('* 6 FETCH (UID 13 RFC822.SIZE 50 THREADID NIL FLAGS (\\Seen) INTERNALDATE "02-Dec-2026 10:00:00 +0000" BODY[]', body(1))],
  ['an empty body', row('* 7 FETCH (UID 14 FLAGS (\\Seen) INTERNALDATE "02-Dec-2026 10:00:00 +0000" BODY[]', Buffer.alloc(0))],
  ['lower-case items', row('* 8 FETCH (uid 15 flags (\\Seen) internaldate "02-Dec-2026 10:00:00 +0000" body[]', body(1))],
  ['an invalid date (kept as text)', row('* 9 FETCH (UID 16 FLAGS () INTERNALDATE "not a date" BODY[]', body(1))],
  ['bytes of every value in the body', row('* 10 FETCH (UID 17 FLAGS (\\Seen) INTERNALDATE "02-Dec-2026 10:00:00 +0000" BODY[]', Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256)))],
  ['Gmail (X-GM-MSGID, asked where X-GM-EXT-1 is offered)', row('* 12 FETCH (X-GM-MSGID 1278455344230334865 UID 19 FLAGS (\\Seen) INTERNALDATE "02-Dec-2026 10:00:00 +0000" BODY[]', body(2))],
  ['keywords', row("* 11 FETCH (UID 18 FLAGS (\\Flagged $Label1 NonJunk $MDNSent a.b-c_d'e) INTERNALDATE \"02-Dec-2026 10:00:00 +0000\" BODY[]", body(1))],
];

/** Lines read by imapflow, not here. */
const DECLINED: Array<[string, Buffer]> = [
  ['a flags change (no body)', Buffer.from('* 3 FETCH (UID 9 FLAGS (\\Seen))\r\n')],
  ['a body as a quoted string', Buffer.from('* 3 FETCH (UID 9 FLAGS () BODY[] "Subject: x")\r\n')],
  ['a body NIL', Buffer.from('* 3 FETCH (UID 9 FLAGS () BODY[] NIL)\r\n')],
  ['a partial body', row('* 3 FETCH (UID 9 BODY[]<0>', body(1))],
  ['a header section', row('* 3 FETCH (UID 9 BODY[HEADER]', body(1))],
  ['an unknown item', row('* 3 FETCH (UID 9 X-GM-LABELS (\\Inbox) BODY[]', body(1))],
  ['ENVELOPE', row('* 3 FETCH (UID 9 ENVELOPE NIL BODY[]', body(1))],
  ['no UID', row('* 3 FETCH (FLAGS () BODY[]', body(1))],
  ['UID twice', row('* 3 FETCH (UID 9 UID 10 BODY[]', body(1))],
  ['two bodies', Buffer.concat([row('* 3 FETCH (UID 9 BODY[]', body(1), ' BODY[]').subarray(0, -3), Buffer.from(` {2}\r\nab)\r\n`)])],
  ['a UID past 32 bits', row('* 3 FETCH (UID 4294967296 BODY[]', body(1))],
  ['a UID with a leading zero', row('* 3 FETCH (UID 09 BODY[]', body(1))],
  ['a flag with a bracket', row('* 3 FETCH (UID 9 FLAGS (a[b]) BODY[]', body(1))],
  ['a quoted flag', row('* 3 FETCH (UID 9 FLAGS ("x") BODY[]', body(1))],
  ['two blanks between flags', row('* 3 FETCH (UID 9 FLAGS (\\Seen  \\Answered) BODY[]', body(1))],
  ['an escaped date', row('* 3 FETCH (UID 9 INTERNALDATE "a\\"b" BODY[]', body(1))],
  ['non-ASCII in the line', row('* 3 FETCH (UID 9 FLAGS (\u00e9t\u00e9) BODY[]', body(1))],
  ['something after the list', row('* 3 FETCH (UID 9 BODY[]', body(1), ') x')],
  ['a tagged line', row('A1 FETCH (UID 9 BODY[]', body(1))],
  ['EXISTS', Buffer.from('* 12 EXISTS\r\n')],
];

describe('body rows read from their bytes (body-rows.ts) against imapflow', () => {
  it.each(ACCEPTED)('reads %s as imapflow does', async (_name, wire) => {
    for (const pieces of [1, 3, 17]) {
      const items = await frames(wire, pieces);
      expect(items).toHaveLength(1);
      const ours = bodyRow(items[0]!.payload, items[0]!.literals);
      const theirs = await imapflowRow(items[0]!);
      expect(ours).not.toBeNull();
      expect(ours!.uid).toBe(theirs.uid);
      expect(ours!.seq).toBe(theirs.seq);
      expect(ours!.flags).toEqual(theirs.flags);
      expect(ours!.internalDate).toEqual(theirs.internalDate);
      expect(ours!.modseq).toEqual(theirs.modseq);
      expect(Buffer.compare(Buffer.concat([ours!.source].flat()), theirs.source as Buffer)).toBe(0);
    }
  });

  it.each(DECLINED)('leaves %s to imapflow', async (_name, wire) => {
    const items = await frames(wire);
    expect(items).toHaveLength(1);
    expect(bodyRow(items[0]!.payload, items[0]!.literals)).toBeNull();
  });

  it('declines a literal whose length is not the one announced', () => {
    const payload = Buffer.from('* 1 FETCH (UID 1 BODY[] {5}\r\n)');
    expect(bodyRow(payload, [Buffer.from('abcd')])).toBeNull();
    expect(bodyRow(payload, [Buffer.from('abcde')])).not.toBeNull();
    expect(bodyRow(payload, [])).toBeNull();
    expect(bodyRow(payload, undefined)).toBeNull();
  });
});
