/**
 * The answer lines of the body FETCH (`UID FETCH <set> (UID FLAGS INTERNALDATE BODY.PEEK[])`, plus
 * the MODSEQ, EMAILID or X-GM-MSGID imapflow adds where the server has them), read from their bytes instead of
 * through imapflow's tokenizer, parser and `formatMessageResponse`, and handed to the fetching loop
 * without imapflow's row queue (one promise and one iterator step per message less).
 *
 * Why by hand: the body rows are the bulk of a first run's responses, one per message, and during
 * the download both cores are full (docs/BENCHMARKS.md, "Session 12: mail, where the CPU of a first
 * run goes"), so every core-second less shortens the run. Through imapflow a row costs its parse
 * (the tokenizer walks the line and builds a token tree), the message object (`formatMessageResponse`
 * compiles each key back to text to name it, and hashes an id per message) and the hand-over through
 * `fetch()`'s iterator: in a loaded 1,000-message profile (N = 4, session 13) imapflow's
 * `handleResponse` was ~200 ms of the main thread, and imapflow's tokenizer and formatter were the
 * largest jobs of V8's optimising compiler on its helper threads (session 12). Here a row is one
 * short regular-expression walk over its line.
 *
 * Strict: a line is read here only when every item is one of those the query asks for, in the shape
 * RFC 3501 / 7162 / 8474 give them (in any order, on either side of the literal), the body is the one
 * literal and its length is the one announced. Any other line (unsolicited FLAGS changes, a body
 * sent as a quoted string or NIL, an unknown item, non-ASCII bytes) returns null and goes to
 * imapflow as before. tests/unit/mail/body-rows.test.ts holds the values to imapflow's own reading
 * of the same lines; tests/integration/mail/body-rows.test.ts runs the three servers.
 */

import { messageSize, type MessageBytes } from './message-file';

/** What the fetching loop needs of a body row: the fields imapflow's message object gives. */
export interface BodyRow {
  seq: number;
  uid: number;
  /** As imapflow's `flags`: a Set of the flag atoms as sent. Undefined when the line has none. */
  flags: Set<string> | undefined;
  /** As imapflow's `internalDate`: a Date, or the text when it is not a valid date. */
  internalDate: Date | string | undefined;
  /** MODSEQ, when the line has one. */
  modseq: bigint | undefined;
  /** The message's bytes: the line's literal, as one buffer or in the pieces it came in (literal-pieces.ts). */
  source: MessageBytes;
}

const HEAD = /^\* ([1-9][0-9]{0,9}) FETCH \(/y;
/**
 * A flag: an atom (RFC 3501 ATOM-CHAR less `[` and `}`, which imapflow's tokenizer reads as more
 * than a character), after a backslash for a system flag.
 */
const FLAG = String.raw`\\?[!#$&'+,\-./0-9:;<=>?@A-Z^_\x60a-z|~]+`;
/**
 * One item and its value. Groups: 1 UID, 2 FLAGS list, 3 INTERNALDATE text, 4 MODSEQ, 5 literal
 * length of BODY[]; RFC822.SIZE, EMAILID, THREADID and X-GM-MSGID (imapflow asks it of Gmail, which has
 * no OBJECTID) are read past (the loop does not use them).
 */
const ITEM = new RegExp(
  String.raw`(?:UID ([1-9][0-9]{0,9})` +
    String.raw`|FLAGS \(((?:${FLAG}(?: ${FLAG})*)?)\)` +
    String.raw`|INTERNALDATE "([\x20\x21\x23-\x5b\x5d-\x7e]{1,64})"` +
    String.raw`|MODSEQ \(([0-9]{1,19})\)` +
    String.raw`|BODY\[\] \{([0-9]{1,10})\}\r?\n` +
    String.raw`|RFC822\.SIZE [0-9]{1,20}` +
    String.raw`|EMAILID \([A-Za-z0-9_-]{1,255}\)` +
    String.raw`|X-GM-MSGID [0-9]{1,20}` +
    String.raw`|THREADID (?:\([A-Za-z0-9_-]{1,255}\)|NIL))`,
  'iy',
);

const MAX_UID = 0xffffffff;

/**
 * The row of one answer line (`payload`: its bytes without the final CRLF, a literal's place kept as
 * `{n}\r\n`, as imapflow's stream gives it; `literals`: the literal bytes, each as one buffer or in
 * pieces), or null when the line is
 * anything else than a body row of the shape above.
 */
export function bodyRow(payload: Buffer, literals: readonly MessageBytes[] | undefined): BodyRow | null {
  if (!literals || literals.length !== 1 || payload.length > 2048 || payload[0] !== 0x2a) return null;
  const line = payload.toString('latin1');
  HEAD.lastIndex = 0;
  const head = HEAD.exec(line);
  if (!head) return null;
  let pos = HEAD.lastIndex;
  let uid = 0;
  let flags: Set<string> | undefined;
  let internalDate: Date | string | undefined;
  let modseq: bigint | undefined;
  let literalLength = -1;
  let seen = 0;
  for (;;) {
    ITEM.lastIndex = pos;
    const m = ITEM.exec(line);
    if (!m) return null;
    // Each item once at most (bit per kind); a repeated one is left to imapflow.
    const bit = m[1] !== undefined ? 1 : m[2] !== undefined ? 2 : m[3] !== undefined ? 4 : m[4] !== undefined ? 8 : m[5] !== undefined ? 16 : 0;
    if (bit & seen) return null;
    seen |= bit;
    if (m[1] !== undefined) {
      uid = Number(m[1]);
      if (uid > MAX_UID) return null;
    } else if (m[2] !== undefined) flags = new Set(m[2] === '' ? [] : m[2].split(' '));
    else if (m[3] !== undefined) {
      const date = new Date(m[3]);
      internalDate = Number.isNaN(date.getTime()) ? m[3] : date;
    } else if (m[4] !== undefined) modseq = BigInt(m[4]);
    else if (m[5] !== undefined) literalLength = Number(m[5]);
    pos = ITEM.lastIndex;
    // After a literal's `{n}\r\n` the line goes on with its next item's space, or ends.
    const next = line.charCodeAt(pos);
    if (next === 0x29 /* ) */) {
      if (pos !== line.length - 1) return null;
      break;
    }
    if (next !== 0x20) return null;
    pos++;
  }
  const source = literals[0]!;
  if (uid === 0 || literalLength !== messageSize(source)) return null;
  return { seq: Number(head[1]), uid, flags, internalDate, modseq, source };
}
